function __ehx-mine_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-mine_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ehx-mine_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-mine_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ehx-mine_parse_tokens -S
    set -l unparsed_tokens (__ehx-mine_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ehx-mine'
        __ehx-mine_parse_subcommand 1 'chain=' 'key=' 'threads=' 'bench' 'seconds=' 'repeat=' 'max-txs=' 'spool=' 'min-txs=' 'max-bytes=' 'deadline=' 'rejects=' 'wait' 'passphrase-file=' 'q/quiet' 'allow-foreign-owner' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __ehx-mine_parse_subcommand -r 1 'version'
        end
    end
end

function __ehx-mine_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ehx-mine_parse_subcommand -S -a positional_count
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

function __ehx-mine_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ehx-mine_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ehx-mine_tokens -p)
    if test -z "$(__ehx-mine_tokens -t)"
        set -l index (count (__ehx-mine_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ehx-mine' -f
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_positional "ehx-mine" -eq 1' -F
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" chain' -l 'chain' -d 'The chain file to extend (required unless --bench).' -rF
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" key' -l 'key' -d 'The miner\'s private key; it must hold the miner role on the chain (required unless --bench).' -rF
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" threads' -l 'threads' -d 'Nonce-search threads (default: all online cores).' -rfka ''
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" bench' -l 'bench' -d 'Measure the nonce search\'s hash rate instead of mining; needs no chain.'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" seconds' -l 'seconds' -d 'How long each --bench run lasts, in seconds.' -rfka ''
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" repeat' -l 'repeat' -d 'With --bench: how many runs; prints their min, median and max (one run\'s figure is noise).' -rfka ''
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" max-txs' -l 'max-txs' -d 'Most transactions per block besides the stamp.' -rfka ''
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" spool' -l 'spool' -d 'Mine from this maildir-style spool (DIR/new, written by ehx-sign --spool) instead of a file or stdin.' -rfa '(__ehx-mine_complete_directories)'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" min-txs' -l 'min-txs' -d 'With --spool: mine only when at least this many transactions are waiting (0 mines an empty block).' -rfka ''
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" max-bytes' -l 'max-bytes' -d 'Most bytes of transactions per block (default: half the chain\'s max_block_bytes).' -rfka ''
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" deadline' -l 'deadline' -d 'With --spool: give up cleanly after this many seconds (exit 75), leaving the spool intact.' -rfka ''
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" rejects' -l 'rejects' -d 'Append refused lines here as JSON with code, file, line, reason and raw.' -rF
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" wait' -l 'wait' -d 'Wait for the chain\'s lock instead of exiting with status 75.'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" passphrase-file' -l 'passphrase-file' -d 'Passphrase file for an encrypted key (or set EHX_PASSPHRASE).' -rF
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" q quiet' -l 'quiet' -s 'q' -d 'Print only errors on stderr.'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" allow-foreign-owner' -l 'allow-foreign-owner' -d 'Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_positional "ehx-mine" -eq 2' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ehx-mine' -n '__ehx-mine_should_offer_completions_for_flags_or_options "ehx-mine help" version' -l 'version' -d 'Show the version.'
