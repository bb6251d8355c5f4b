complete -c lmreread -s c -d 'port@host, @host, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmreread -l vendor -d 'Reread for the vendor daemon, restarting it if lmdown -vendor stopped it' -r
complete -c lmreread -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmreread -l all -d 'Every server named by -c'
complete -c lmreread -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmreread -s h -l help -d 'Print help'
