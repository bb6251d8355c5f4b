complete -c lmhistory -s f -d 'Only this feature' -r
complete -c lmhistory -l version -d 'Only the pools of this css date (YYYY.MMDD)' -r
complete -c lmhistory -l from -d 'From this day on (YYYY-MM-DD, UTC)' -r
complete -c lmhistory -l to -d 'Up to this day (YYYY-MM-DD, UTC)' -r
complete -c lmhistory -s o -l output -d 'Write to FILE instead of standard output (-export shows its progress on a terminal)' -r -F
complete -c lmhistory -s c -d 'port@host, @host, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmhistory -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmhistory -l export -d 'The daily usage report as CSV (date,feature,cssDate,…; docs/history.md)'
complete -c lmhistory -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmhistory -s h -l help -d 'Print help'
