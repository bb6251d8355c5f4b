complete -c lmsettings -l set -d 'Change settings, all of them or none (names in any case)' -r
complete -c lmsettings -s c -d 'port@host, @host, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmsettings -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmsettings -l list -d 'List every setting with its value, default, values and what it does'
complete -c lmsettings -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmsettings -s h -l help -d 'Print help'
