function __ehx-ingest_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-ingest_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ehx-ingest_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-ingest_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ehx-ingest_parse_tokens -S
    set -l unparsed_tokens (__ehx-ingest_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ehx-ingest'
        __ehx-ingest_parse_subcommand 1 'from=' 'psk=' 'state=' 'rejects=' 'alerts=' 'rules=' 'window=' 'max-skew=' 'learn=' 'z=' 'now=' 'archive' 'max-gap=' 'device=' 'patient=' 'column=+' 'threads=' 'q/quiet' 'allow-foreign-owner' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __ehx-ingest_parse_subcommand -r 1 'version'
        end
    end
end

function __ehx-ingest_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ehx-ingest_parse_subcommand -S -a positional_count
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

function __ehx-ingest_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ehx-ingest_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ehx-ingest_tokens -p)
    if test -z "$(__ehx-ingest_tokens -t)"
        set -l index (count (__ehx-ingest_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ehx-ingest' -f
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_positional "ehx-ingest" -eq 1' -F
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" from' -l 'from' -d 'Input format: jsonl (sensor readings with MACs), fhir (Observations or a Bundle), csv (monitor export with a header).' -rfka 'jsonl fhir csv'
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" psk' -l 'psk' -d 'The gateway\'s device PSK file (from ehx-keygen psk); required for jsonl.' -rF
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" state' -l 'state' -d 'Keep replay memory, NEWS2 vitals and baselines in this file across runs (rewritten atomically).' -rF
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" rejects' -l 'rejects' -d 'Append refused lines here as JSON with code, file, line, reason and raw (ehx(7), REJECT RECORDS).' -rF
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" alerts' -l 'alerts' -d 'Write each alert as a JSON line here at once: a file (appended), a FIFO, or \'-\' for stderr.' -rF
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" rules' -l 'rules' -d 'Freshness per NEWS2 parameter, thresholds, baselines and drift settings per kind and patient, SpO2 scale 2 (JSON; see RULES FILE).' -rF
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" window' -l 'window' -d 'NEWS2 freshness of the monitored respiration rate, SpO2 and pulse: older than this before a reading, they are missing (seconds, or 15m, 1h). Other parameters: freshness in --rules.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" max-skew' -l 'max-skew' -d 'Refuse readings whose ts is further than this ahead of the gateway\'s clock.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" learn' -l 'learn' -d 'Readings of a kind a patient\'s baseline learns from before it judges.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" z' -l 'z' -d 'Alert when a reading is more than this many standard deviations from the patient\'s baseline.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" now' -l 'now' -d 'Judge skew and PSK grace windows against this time instead of the clock (RFC 3339 or Unix seconds; for tests, and archives whose span is known: see --archive).' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" archive' -l 'archive' -d 'Re-process an archive: judge each reading\'s time against the readings before it (the device\'s order, and --max-gap past the latest), not against the clock or --now.'
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" max-gap' -l 'max-gap' -d 'With --archive: refuse a reading further than this past the archive\'s latest (a corrupt time) unless the next reading confirms the gap (default 24h).' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" device' -l 'device' -d 'For fhir and csv: the device id when the record names none.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" patient' -l 'patient' -d 'For fhir and csv: the patient id when the record names none.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest"' -l 'column' -d 'For csv: map a header column: NAME=ROLE (a kind, ts, device, patient, systolic, diastolic, ignore). Repeatable.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" threads' -l 'threads' -d 'Threads for parsing and MAC checks (default: all online cores). Outputs, rejects and alerts keep input order whatever the count.' -rfka ''
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and alerts on stderr.'
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" allow-foreign-owner' -l 'allow-foreign-owner' -d 'Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.'
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_positional "ehx-ingest" -eq 2' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ehx-ingest' -n '__ehx-ingest_should_offer_completions_for_flags_or_options "ehx-ingest help" version' -l 'version' -d 'Show the version.'
