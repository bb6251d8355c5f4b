complete -c lmdiag -s c -d 'port@host, @host, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmdiag -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmdiag -s n -d 'Never prompt'
complete -c lmdiag -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmdiag -s h -l help -d 'Print help (see more with \'--help\')'
