function __ehx-keygen_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-keygen_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ehx-keygen_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ehx-keygen_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ehx-keygen_parse_tokens -S
    set -l unparsed_tokens (__ehx-keygen_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ehx-keygen'
        __ehx-keygen_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'key'
            __ehx-keygen_parse_subcommand 0 'role=' 'o/output=' 'passphrase-file=' 'enc' 'version' 'h/help'
        case 'id'
            __ehx-keygen_parse_subcommand -r 1 'passphrase-file=' 'version' 'h/help'
        case 'psk'
            __ehx-keygen_parse_subcommand 0 'device=' 'psk=' 'replace' 'rotate' 'grace=' 'export=' 'version' 'h/help'
        case 'genesis'
            __ehx-keygen_parse_subcommand 0 'authority=' 'bits=' 'block-seconds=' 'threads=' 'retarget-interval=' 'target-spacing=' 'name=' 'grant=+' 'bind=+' 'pseudonym-key=' 'rules=' 'max-block-txs=' 'max-block-bytes=' 'o/output=' 'passphrase-file=' 'version' 'h/help'
        case 'grant'
            __ehx-keygen_parse_subcommand 0 'role=' 'key=' 'enc=' 'device=+' 'psk=' 'pseudonym-key=' 'seq=' 'version' 'h/help'
        case 'revoke'
            __ehx-keygen_parse_subcommand 0 'role=' 'key=' 'device=+' 'psk=' 'pseudonym-key=' 'version' 'h/help'
        case 'pseudonym'
            __ehx-keygen_parse_subcommand 0 'o/output=' 'version' 'h/help'
        case 'firmware'
            __ehx-keygen_parse_subcommand 1 'vendor=' 'model=' 'version=' 'url=' 'revoke' 'version' 'h/help'
        case 'help'
            __ehx-keygen_parse_subcommand -r 1 'version'
        end
    end
end

function __ehx-keygen_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ehx-keygen_parse_subcommand -S -a positional_count
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

function __ehx-keygen_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ehx-keygen_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ehx-keygen_tokens -p)
    if test -z "$(__ehx-keygen_tokens -t)"
        set -l index (count (__ehx-keygen_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ehx-keygen' -f
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'key' -d 'Make an Ed25519 key pair: NAME.key (PKCS#8, 0600) and NAME.pub (SPKI).'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'id' -d 'Print the id of each key file: the hex SHA-256 of its raw public key, as the chain and ehx-verify name keys.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'psk' -d 'Add a device\'s random 32-byte pre-shared key to a PSK file (created 0600).'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'genesis' -d 'Write block 0 of a new chain: the authority\'s signed rules, mined at --bits.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'grant' -d 'Print the body of a key transaction granting a role to a public key.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'revoke' -d 'Print the body of a key transaction revoking a role from a public key.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'pseudonym' -d 'Make a pseudonym key file (32 random bytes, base64url, 0600) for ehx-sign --seal.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'firmware' -d 'Print the body of a firmware transaction for an image: vendor, model, version, sha256 and size.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen key" role' -l 'role' -d 'The role the key is meant for (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).' -rfka 'authority gateway device clinician physio researcher auditor miner manufacturer'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen key" o output' -l 'output' -s 'o' -d 'Path prefix of the files to write: NAME.key and NAME.pub.' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen key" passphrase-file' -l 'passphrase-file' -d 'Encrypt the private key with the passphrase in this file (or set EHX_PASSPHRASE).' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen key" enc' -l 'enc' -d 'Also make an X25519 key pair for reading sealed data: NAME.enc.key (0600) and NAME.enc.pub.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen key" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen key" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen id" -ge 1' -F
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen id" passphrase-file' -l 'passphrase-file' -d 'Passphrase file for encrypted private keys (or set EHX_PASSPHRASE).' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen id" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen id" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" device' -l 'device' -d 'The device id, as it appears in the readings\' "device" field.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" psk' -l 'psk' -d 'The PSK file to create or update.' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" replace' -l 'replace' -d 'Replace the device\'s existing key (the old key stops working at once, in a running ehx-ingest from its next reading).'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" rotate' -l 'rotate' -d 'Give the device a new key; the old one is still accepted for --grace.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" grace' -l 'grace' -d 'With --rotate: how long the old key stays valid (seconds, or 30m, 24h, 7d).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" export' -l 'export' -d 'Also write the device\'s file: its own current key and no other device\'s (new file, 0600). Give the device this file, never the gateway\'s. Alone, for a device that has a key, it changes nothing in --psk.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen psk" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" authority' -l 'authority' -d 'The authority\'s private key (its public key is the chain\'s authority).' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" bits' -l 'bits' -d 'Proof-of-work target in Bitcoin compact form, 8 hex digits (1f00ffff: about 65,000 hashes a block; 1e0fffff: about 1 M). Default 1f00ffff.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" block-seconds' -l 'block-seconds' -d 'Choose bits so one block takes about this many seconds on this machine (a short nonce-search bench on --threads threads); instead of --bits.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" threads' -l 'threads' -d 'Threads the miner will use, for --block-seconds and for mining the genesis block (default: all online cores).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" retarget-interval' -l 'retarget-interval' -d 'Retarget the difficulty every this many blocks (Bitcoin\'s rule); default: fixed difficulty.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" target-spacing' -l 'target-spacing' -d 'With --retarget-interval: the target seconds per block (default: --block-seconds).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" name' -l 'name' -d 'A name for the chain.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis"' -l 'grant' -d 'Grant a role to a public key from block 1 on: ROLE=PUBFILE (repeatable).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis"' -l 'bind' -d 'Bind devices to a granted gateway or device key: PUBFILE=ID[,ID...] or PUBFILE=@PSKFILE (repeatable).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" pseudonym-key' -l 'pseudonym-key' -d 'With --bind: bind the devices\' pseudonyms under this key instead of their ids (for sealed readings).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" rules' -l 'rules' -d 'Rules version: 2 (device binding, alert refs, bound sealed bodies; the default) or 1 (earlier ehx).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" max-block-txs' -l 'max-block-txs' -d 'Most transactions in one block (stamp included).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" max-block-bytes' -l 'max-block-bytes' -d 'Most bytes in one block line.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" o output' -l 'output' -s 'o' -d 'The chain file to create.' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" passphrase-file' -l 'passphrase-file' -d 'Passphrase file for an encrypted authority key (or set EHX_PASSPHRASE).' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen genesis" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" role' -l 'role' -d 'The role to grant (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).' -rfka 'authority gateway device clinician physio researcher auditor miner manufacturer'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" key' -l 'key' -d 'The Ed25519 public key file (NAME.pub) of the key to grant it to.' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" enc' -l 'enc' -d 'The X25519 public key file (NAME.enc.pub) to attach for reading sealed data.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant"' -l 'device' -d 'Bind this device id to the key (repeatable; gateway and device roles, rules 2).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" psk' -l 'psk' -d 'Bind every device of this PSK file to the key.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" pseudonym-key' -l 'pseudonym-key' -d 'Bind the devices\' pseudonyms under this key instead of their ids (for sealed readings).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" seq' -l 'seq' -d 'With bound devices: set their last seq to N from the next block (an authority\'s reset).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen grant" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen revoke" role' -l 'role' -d 'The role to revoke.' -rfka 'authority gateway device clinician physio researcher auditor miner manufacturer'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen revoke" key' -l 'key' -d 'The Ed25519 public key file (NAME.pub) of the key.' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen revoke"' -l 'device' -d 'Unbind this device id from the key, keeping its role (repeatable).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen revoke" psk' -l 'psk' -d 'Unbind every device of this PSK file.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen revoke" pseudonym-key' -l 'pseudonym-key' -d 'Unbind the devices\' pseudonyms under this key instead of their ids.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen revoke" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen revoke" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen pseudonym" o output' -l 'output' -s 'o' -d 'The file to create (never overwritten).' -rF
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen pseudonym" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen pseudonym" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_positional "ehx-keygen firmware" -eq 1' -F
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen firmware" vendor' -l 'vendor' -d 'The manufacturer\'s name.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen firmware" model' -l 'model' -d 'The device model the image is for.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen firmware" version' -l 'version' -d 'The release\'s version string.' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen firmware" url' -l 'url' -d 'Where the image can be fetched (informational).' -rfka ''
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen firmware" revoke' -l 'revoke' -d 'Make a revocation of this release instead of a release.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen firmware" version' -l 'version' -d 'Show the version.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen firmware" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ehx-keygen' -n '__ehx-keygen_should_offer_completions_for_flags_or_options "ehx-keygen help" version' -l 'version' -d 'Show the version.'
