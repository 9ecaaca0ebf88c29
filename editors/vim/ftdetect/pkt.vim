" packetdrill / mptcpdrill scripts
autocmd BufRead,BufNewFile *.pkt setfiletype pkt
