complete -c lmhistory -s f -d 'Only this feature' -r
complete -c lmhistory -l version -d 'Only the pools of this css date (YYYY.MMDD)' -r
complete -c lmhistory -l from -d 'From this day on (YYYY-MM-DD, UTC)' -r
complete -c lmhistory -l to -d 'Up to this day (YYYY-MM-DD, UTC)' -r
complete -c lmhistory -s o -l output -d 'Write to FILE instead of standard output (-export shows its progress on a terminal)' -r -F
complete -c lmhistory -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmhistory -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmhistory -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmhistory -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmhistory -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmhistory -l export -d 'The daily usage report as CSV (date,feature,cssDate,…; docs/history.md)'
complete -c lmhistory -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmhistory -s h -l help -d 'Print help'
