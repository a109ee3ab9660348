function __ehx-sign_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-sign_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ehx-sign_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-sign_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ehx-sign_parse_tokens -S
    set -l unparsed_tokens (__ehx-sign_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ehx-sign'
        __ehx-sign_parse_subcommand 1 'key=' 'psk=' 'type=' 'rejects=' 'spool=' 'passphrase-file=' 'seal' 'chain=' 'genesis=' 'pseudonym-key=' 'store=' 'threads=' 'q/quiet' 'allow-foreign-owner' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __ehx-sign_parse_subcommand -r 1 'version'
        end
    end
end

function __ehx-sign_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ehx-sign_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __ehx-sign_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ehx-sign_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ehx-sign_tokens -p)
    if test -z "$(__ehx-sign_tokens -t)"
        set -l index (count (__ehx-sign_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ehx-sign' -f
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_positional "ehx-sign" -eq 1' -F
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" key' -l 'key' -d 'Sign with this Ed25519 private key (PEM).' -rF
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" psk' -l 'psk' -d 'Attach device MACs using this PSK file instead of signing.' -rF
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" type' -l 'type' -d 'Transaction type of the bodies: reading, alert, key, policy, firmware, access, erasure.' -rfka 'reading alert key policy firmware access erasure'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" rejects' -l 'rejects' -d 'Append refused lines here as JSON with code, file, line, reason and raw.' -rF
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" spool' -l 'spool' -d 'With --key: write each transaction atomically into this maildir-style spool (DIR/tmp, then DIR/new) for ehx-mine --spool; stdout gets {"file","txid"} per transaction.' -rfa '(__ehx-sign_complete_directories)'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" passphrase-file' -l 'passphrase-file' -d 'Passphrase file for an encrypted key (or set EHX_PASSPHRASE).' -rF
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" seal' -l 'seal' -d 'Seal reading and alert bodies for the readers the chain\'s read policy allows (needs --chain and --pseudonym-key).'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" chain' -l 'chain' -d 'With --seal: the chain whose tip\'s policy, roles and reader keys choose the recipients; followed while running, so a revocation mined into it applies to the next reading.' -rF
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" genesis' -l 'genesis' -d 'With --seal (required): the genesis hash --chain must descend from, as given to ehx-verify.' -rfka ''
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" pseudonym-key' -l 'pseudonym-key' -d 'With --seal: the pseudonym key file (0600; ehx-keygen pseudonym).' -rF
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" store' -l 'store' -d 'With --seal: put each sealed part into this content-addressed blob store (made if missing) and sign only the clear part and the blob\'s hash, so an erasure can later make it unreadable.' -rfa '(__ehx-sign_complete_directories)'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" threads' -l 'threads' -d 'Signing threads (default: all online cores). Output order is input order whatever the count.' -rfka ''
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" q quiet' -l 'quiet' -s 'q' -d 'Print only errors on stderr.'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" allow-foreign-owner' -l 'allow-foreign-owner' -d 'Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_positional "ehx-sign" -eq 2' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ehx-sign' -n '__ehx-sign_should_offer_completions_for_flags_or_options "ehx-sign help" version' -l 'version' -d 'Show the version.'
