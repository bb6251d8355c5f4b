complete -c lminstall -s c -d 'port@host, @host, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lminstall -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lminstall -l replace -d 'Replace a file of that name on the server'
complete -c lminstall -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lminstall -s h -l help -d 'Print help'
