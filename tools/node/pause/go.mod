module podnotes.invalid/node/pause

go 1.22
