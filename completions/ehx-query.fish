function __ehx-query_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-query_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ehx-query_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-query_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ehx-query_parse_tokens -S
    set -l unparsed_tokens (__ehx-query_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ehx-query'
        __ehx-query_parse_subcommand 0 'chain=' 'store=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'txs'
            __ehx-query_parse_subcommand 0 'type=' 'device=' 'patient=' 'since=' 'until=' 'key=' 'enc-key=' 'require-open' 'audit-spool=' 'reason=' 'break-glass=' 'passphrase-file=' 'alerts' 'format=' 'raw' 'follow' 'db=' 'no-index' 'q/quiet' 'allow-foreign-owner' 'version' 'h/help'
        case 'tx'
            __ehx-query_parse_subcommand 1 'raw' 'version' 'h/help'
        case 'block'
            __ehx-query_parse_subcommand 1 'hash' 'header-hex' 'version' 'h/help'
        case 'tip'
            __ehx-query_parse_subcommand 0 'hash' 'version' 'h/help'
        case 'blocks'
            __ehx-query_parse_subcommand 0 'since=' 'version' 'h/help'
        case 'proof'
            __ehx-query_parse_subcommand 1 'version' 'h/help'
        case 'headers'
            __ehx-query_parse_subcommand 0 'version' 'h/help'
        case 'fhir'
            __ehx-query_parse_subcommand 0 'patient=' 'device=' 'since=' 'until=' 'emg-period=' 'no-alerts' 'db=' 'no-index' 'q/quiet' 'version' 'h/help'
        case 'index'
            __ehx-query_parse_subcommand 0 'db=' 'batch-size=' 'emit-sql' 'q/quiet' 'version' 'h/help'
        case 'firmware'
            __ehx-query_parse_subcommand 0 'model=' 'vendor=' 'check=' 'all' 'genesis=' 'q/quiet' 'fetch' 'o/output=' 'version' 'h/help'
        case 'report'
            __ehx-query_parse_subcommand 0 'patient=' 'since=' 'until=' 'key=' 'enc-key=' 'passphrase-file=' 'rules=' 'window=' 'o/output=' 'db=' 'no-index' 'q/quiet' 'allow-foreign-owner' 'version' 'h/help'
        case 'blobs'
            __ehx-query_parse_subcommand -r 1 'add=+' 'missing' 'wanted=' 'export' 'all' 'import' 'sync' 'erasure-body' 'patient=' 'pseudonym-key=' 'request=' 'reason=' 'q/quiet' 'allow-foreign-owner' 'version' 'h/help'
        case 'help'
            __ehx-query_parse_subcommand -r 1 'version'
        end
    end
end

function __ehx-query_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ehx-query_parse_subcommand -S -a positional_count
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

function __ehx-query_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ehx-query_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ehx-query_tokens -p)
    if test -z "$(__ehx-query_tokens -t)"
        set -l index (count (__ehx-query_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ehx-query' -f
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query" chain' -l 'chain' -d 'The chain file (default: $EHX_CHAIN, else chain.jsonl).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query" store' -l 'store' -d 'The content-addressed blob store (ehx-sign --seal --store) that holds sealed parts and firmware images; before anything is read from it, the chain\'s erasures are applied to it.' -rfa '(__ehx-query_complete_directories)'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'txs' -d 'Print transactions (JSON, one per line) that match every filter given.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'tx' -d 'Print one transaction, chosen by its txid.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'block' -d 'Print one block line, chosen by height or hash.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'tip' -d 'Print the last block\'s height, hash, time, transaction count and bits, and the chain\'s cumulative work.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'blocks' -d 'Print the block lines after a given block, as they are in the chain file (for ehx-verify --append).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'proof' -d 'Print a self-contained inclusion proof of one transaction (check it with ehx-verify --proof).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'headers' -d 'Print the header chain, one {"hash","header","height"} line per block (for ehx-verify --proof --headers).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'fhir' -d 'Write the readings and alerts as a FHIR R4 Bundle (type collection).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'index' -d 'Build or bring up to date the index: SQLite beside the chain, or PostgreSQL; or print it as PostgreSQL COPY input.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'firmware' -d 'Print a model\'s latest registered firmware release, or check an image against the chain.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'report' -d 'Write one patient\'s vital signs as a self-contained HTML page: charts, NEWS2, alerts.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'blobs' -d 'Manage a content-addressed blob store: add, replicate, follow the chain\'s erasures.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_positional "ehx-query" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" type' -l 'type' -d 'Only this type: genesis, key, policy, reading, alert, access, firmware, stamp, erasure.' -rfka 'genesis key policy reading alert access firmware stamp erasure'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" device' -l 'device' -d 'Only records from this device (a pseudonym for sealed bodies).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" patient' -l 'patient' -d 'Only records about this patient (a pseudonym for sealed bodies).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" since' -l 'since' -d 'Only records at or after this time (RFC 3339 or Unix seconds).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" until' -l 'until' -d 'Only records before this time (RFC 3339 or Unix seconds).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" key' -l 'key' -d 'Open sealed bodies as this reader: its Ed25519 key (signs access records; its id finds the entries).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" enc-key' -l 'enc-key' -d 'The reader\'s X25519 key (default: KEY with .key replaced by .enc.key).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" require-open' -l 'require-open' -d 'Exit 77 when nothing was opened.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" audit-spool' -l 'audit-spool' -d 'Write an access transaction for every opening into this spool directory (DIR/tmp, DIR/new) before printing.' -rfa '(__ehx-query_complete_directories)'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" reason' -l 'reason' -d 'Why the data is read; goes into the access records (required with --audit-spool).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" break-glass' -l 'break-glass' -d 'Break-glass: the emergency X25519 key named by the policy; opens what --key cannot, for one --patient within --since..--until (at most 72 h), recorded with reason "emergency" before anything is printed. --key must hold a role that signs access records and reads full bodies.' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" passphrase-file' -l 'passphrase-file' -d 'Passphrase file for encrypted keys (or set EHX_PASSPHRASE).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" alerts' -l 'alerts' -d 'Only alert records (the same as --type alert).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" format' -l 'format' -d 'Output: jsonl, csv or table (default: table on a terminal, else jsonl).' -rfka 'jsonl csv table'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" raw' -l 'raw' -d 'jsonl: print each transaction exactly as on the chain, without "height" and "txid".'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" follow' -l 'follow' -d 'Keep printing matching transactions as blocks are appended, until SIGINT or SIGTERM.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" db index' -l 'db' -l 'index' -d 'Answer from this index: a postgres:// URI (no chain file needed; with txs --key, sealed bodies come sealed and are opened here) or a SQLite file, used when current (default: CHAIN.index.sqlite).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" no-index' -l 'no-index' -d 'Scan the chain even when a current index exists.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" q quiet' -l 'quiet' -s 'q' -d 'Print only errors on stderr.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" allow-foreign-owner' -l 'allow-foreign-owner' -d 'Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query txs" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query tx" raw' -l 'raw' -d 'Print the transaction exactly as on the chain, without "height" and "txid".'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query tx" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query tx" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query block" hash' -l 'hash' -d 'Print only the block\'s hash.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query block" header-hex' -l 'header-hex' -d 'Print only the 80-byte header as hex (recompute the hash with xxd -r -p | openssl dgst).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query block" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query block" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query tip" hash' -l 'hash' -d 'Print only the tip\'s hash, read from the chain\'s last line alone.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query tip" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query tip" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blocks" since' -l 'since' -d 'Print the blocks after the block with this hash (the genesis hash: every block after genesis).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blocks" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blocks" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query proof" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query proof" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query headers" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query headers" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" patient' -l 'patient' -d 'Only readings about this patient.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" device' -l 'device' -d 'Only readings from this device.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" since' -l 'since' -d 'Only readings at or after this time (RFC 3339 or Unix seconds).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" until' -l 'until' -d 'Only readings before this time (RFC 3339 or Unix seconds).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" emg-period' -l 'emg-period' -d 'Milliseconds between EMG samples, to export them as valueSampledData (ehx records no sample rate; without it only the RMS is exported).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" no-alerts' -l 'no-alerts' -d 'Export readings only, not the alerts\' RiskAssessments and NEWS2 totals.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" db index' -l 'db' -l 'index' -d 'Answer from this index: a postgres:// URI (no chain file needed; with txs --key, sealed bodies come sealed and are opened here) or a SQLite file, used when current (default: CHAIN.index.sqlite).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" no-index' -l 'no-index' -d 'Scan the chain even when a current index exists.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" q quiet' -l 'quiet' -s 'q' -d 'Print only errors on stderr.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query fhir" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query index" db' -l 'db' -d 'The index: a SQLite file (default: CHAIN.index.sqlite) or a postgres:// URI (password from ~/.pgpass or PGPASSWORD, not the URI).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query index" batch-size' -l 'batch-size' -d 'Transactions per database transaction.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query index" emit-sql' -l 'emit-sql' -d 'Write the index as SQL for PostgreSQL (createdb ehx && ehx-query index --emit-sql | psql ehx).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query index" q quiet' -l 'quiet' -s 'q' -d 'No progress notes.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query index" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query index" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" model' -l 'model' -d 'The device model.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" vendor' -l 'vendor' -d 'Only releases from this vendor.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" check' -l 'check' -d 'The firmware image to check.' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" all' -l 'all' -d 'Print every release of the model (counting or not) instead of the latest.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" genesis' -l 'genesis' -d 'Pin the chain: its genesis hash must be this.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" q quiet' -l 'quiet' -s 'q' -d 'Print only errors on stderr.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" fetch' -l 'fetch' -d 'Write the latest counting release\'s image from ehx-query --store to --output, checked against the chain\'s hash and size.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" o output' -l 'output' -s 'o' -d 'With --fetch: the file to write (atomically: a temporary beside it, fsynced, renamed).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query firmware" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" patient' -l 'patient' -d 'The patient: an id, or the pseudonym of sealed records.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" since' -l 'since' -d 'Only records at or after this time (RFC 3339 or Unix seconds).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" until' -l 'until' -d 'Only records before this time (RFC 3339 or Unix seconds).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" key' -l 'key' -d 'Open sealed readings and alerts as this reader (its Ed25519 key; its id finds the entries).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" enc-key' -l 'enc-key' -d 'The reader\'s X25519 key (default: KEY with .key replaced by .enc.key).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" passphrase-file' -l 'passphrase-file' -d 'Passphrase file for encrypted keys (or set EHX_PASSPHRASE).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" rules' -l 'rules' -d 'The gateway\'s ehx-ingest --rules file, so the NEWS2 strip uses its freshness and SpO2 scale (without it: the defaults, and scale 2 when the gateway\'s alerts for the patient say so).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" window' -l 'window' -d 'The gateway\'s ehx-ingest --window (freshness of respiration, SpO2 and pulse).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" o output' -l 'output' -s 'o' -d 'Write the page here (\'-\': stdout).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" db index' -l 'db' -l 'index' -d 'Answer from this index: a postgres:// URI (no chain file needed; with txs --key, sealed bodies come sealed and are opened here) or a SQLite file, used when current (default: CHAIN.index.sqlite).' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" no-index' -l 'no-index' -d 'Scan the chain even when a current index exists.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" q quiet' -l 'quiet' -s 'q' -d 'Print only errors on stderr.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" allow-foreign-owner' -l 'allow-foreign-owner' -d 'Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs"' -l 'add' -d 'Store these files; prints each one\'s hash.' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" missing' -l 'missing' -d 'Print the hashes the chain (or --wanted) names that the store neither holds nor erased.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" wanted' -l 'wanted' -d 'With --missing: the wanted hashes, one per line, from this file (\'-\': stdin) instead of the chain.' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" export' -l 'export' -d 'Write the blobs named as arguments (else read from stdin, one hash a line) as a blob stream on stdout.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" all' -l 'all' -d 'With --export: every blob in the store.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" import' -l 'import' -d 'Read a blob stream (the argument, or stdin) and store every blob whose hash checks.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" sync' -l 'sync' -d 'Apply the chain\'s erasures to the store (delete what valid erasures name; finish an interrupted run).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" erasure-body' -l 'erasure-body' -d 'Print an erasure body for every stored body of --patient (with --request and --reason).'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" patient' -l 'patient' -d 'With --erasure-body: the patient\'s pseudonym, or its id with --pseudonym-key.' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" pseudonym-key' -l 'pseudonym-key' -d 'With --erasure-body: the pseudonym key, to turn the --patient id into its pseudonym.' -rF
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" request' -l 'request' -d 'With --erasure-body: whose request this answers (a reference the authority keeps).' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" reason' -l 'reason' -d 'With --erasure-body: why (e.g. "GDPR Art. 17").' -rfka ''
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" q quiet' -l 'quiet' -s 'q' -d 'Print only errors on stderr.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" allow-foreign-owner' -l 'allow-foreign-owner' -d 'Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query blobs" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-query' -n '__ehx-query_should_offer_completions_for_flags_or_options "ehx-query help" version' -l 'version' -d 'Show the version.'
