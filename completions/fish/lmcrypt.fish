complete -c lmcrypt -l genkey -d 'Write a new key pair: DIR/vendor.key (mode 0600) and DIR/vendor.pub' -r -F
complete -c lmcrypt -l key -d 'Sign every feature line of FILE… in place with this private key' -r -F
complete -c lmcrypt -l pub -d 'The public key to verify with: a .pub file, or a directory of them' -r -F
complete -c lmcrypt -l verify -d 'Verify FILE… and report every line\'s fields and signature'
complete -c lmcrypt -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmcrypt -s h -l help -d 'Print help'
