function __ehx-verify_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-verify_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ehx-verify_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-verify_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ehx-verify_parse_tokens -S
    set -l unparsed_tokens (__ehx-verify_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ehx-verify'
        __ehx-verify_parse_subcommand -r 1 'genesis=' 'authority=' 'expect-tip=' 'min-work=' 'checkpoint=+' 'from-height=' 'now=' 'json' 'summary' 'report=' 'threads=' 'append=' 'wait' 'best' 'proof=' 'headers=' 'store=' 'q/quiet' 'allow-foreign-owner' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __ehx-verify_parse_subcommand -r 1 'version'
        end
    end
end

function __ehx-verify_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ehx-verify_parse_subcommand -S -a positional_count
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

function __ehx-verify_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ehx-verify_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ehx-verify_tokens -p)
    if test -z "$(__ehx-verify_tokens -t)"
        set -l index (count (__ehx-verify_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ehx-verify' -f
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_positional "ehx-verify" -ge 1' -F
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" genesis' -l 'genesis' -d 'Pin the chain: the genesis block\'s hash must be this.' -rfka ''
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" authority' -l 'authority' -d 'Pin the chain: its genesis must be signed by this authority key (public key PEM file, or base64url raw key).' -rF
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" expect-tip' -l 'expect-tip' -d 'The last block\'s hash must be this (detects truncation).' -rfka ''
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" min-work' -l 'min-work' -d 'Pin the work: the chain (with --proof, the header chain) from the pinned genesis must hold at least this much (hex, as ehx-query tip prints it).' -rfka ''
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify"' -l 'checkpoint' -d 'The block at HEIGHT must have HASH (repeatable; 0:HASH pins the genesis).' -rfka ''
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" from-height' -l 'from-height' -d 'Check signatures only from block N on; needs --checkpoint at N-1 or N (see ehx(7) for what this trusts).' -rfka ''
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" now' -l 'now' -d 'Judge block times against this time instead of the clock (RFC 3339 or Unix seconds).' -rfka ''
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" json' -l 'json' -d 'One JSON object per problem on stdout, then a verdict object.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" summary' -l 'summary' -d 'Also report blocks, transactions per type, signers per role, first and last time, cumulative work and tip.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" report' -l 'report' -d 'Also write the verdict of --json with the summary as a self-contained HTML page (no script, nothing fetched).' -rF
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" threads' -l 'threads' -d 'Threads for signature checks (default: all cores).' -rfka ''
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" append' -l 'append' -d 'Append the valid prefix of the input\'s blocks to CHAIN, under its lock; CHAIN\'s state comes from its snapshot (CHAIN.state) and the blocks after it.' -rF
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" wait' -l 'wait' -d 'With --append: wait for CHAIN\'s lock instead of exiting with status 75.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" best' -l 'best' -d 'Print the path of the valid chain with the most cumulative work among the files.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" proof' -l 'proof' -d 'Check the inclusion proof(s) in FILE (from ehx-query proof) instead of a chain.' -rF
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" headers' -l 'headers' -d 'With --proof: the header chain (from ehx-query headers) that links the proof\'s block to the pins.' -rF
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" store' -l 'store' -d 'Also check this blob store against the chain: every stored body\'s blob present, intact and bound to its transaction, or erased by the chain; no erased blob left (blob-missing, blob-corrupt, erased-present).' -rfa '(__ehx-verify_complete_directories)'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" q quiet' -l 'quiet' -s 'q' -d 'No verdict on stderr; problems are still printed.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" allow-foreign-owner' -l 'allow-foreign-owner' -d 'Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_positional "ehx-verify" -eq 2' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ehx-verify' -n '__ehx-verify_should_offer_completions_for_flags_or_options "ehx-verify help" version' -l 'version' -d 'Show the version.'
