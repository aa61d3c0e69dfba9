// SPDX-License-Identifier: BSD-3-Clause

// http-nethttp: the hello server on net/http, procs=1.
// usage: http-nethttp PORT [procs]
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"

	"grtbench/common"
)

var body = []byte("Hello, World!")

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: http-nethttp PORT [procs]")
		os.Exit(2)
	}
	procs := common.Procs(2, 1)
	addr := "127.0.0.1:" + os.Args[1]
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http-nethttp procs=%d listening=%s\n", procs, addr)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Content-Type"] = []string{"text/plain"}
		hd["Content-Length"] = []string{"13"}
		// the same bytes on the wire as the C server except for Date, which
		// net/http always adds
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
	if err := http.Serve(ln, h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
