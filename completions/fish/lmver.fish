complete -c lmver -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmver -s h -l help -d 'Print help'
