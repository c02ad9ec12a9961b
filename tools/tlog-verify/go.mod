module tvs/tools/tlog-verify

go 1.19

require golang.org/x/mod v0.0.0

// Offline: the Debian package golang-golang-x-mod-dev installs the sources here.
replace golang.org/x/mod => /usr/share/gocode/src/golang.org/x/mod
