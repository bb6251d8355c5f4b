complete -c lmstat -s c -d 'port@host, @host, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmstat -s f -d 'Show who uses FEATURE (or every feature)' -r
complete -c lmstat -s i -d 'Show the INCREMENT lines of the license files' -r
complete -c lmstat -s s -d 'Show the status of the license server(s)' -r
complete -c lmstat -s S -d 'Show the features served by the vendor daemon' -r
complete -c lmstat -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmstat -s a -d 'Show everything'
complete -c lmstat -s v -d 'Print lmstat\'s version'
complete -c lmstat -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmstat -s h -l help -d 'Print help'
