// SPDX-License-Identifier: BSD-3-Clause

// http-raw: the hello server on raw net.Conn + bufio, procs=1, one goroutine
// per connection; each request is read up to "\r\n\r\n".
// usage: http-raw PORT [procs]
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"

	"grtbench/common"
)

var response = []byte("HTTP/1.1 200 OK\r\n" +
	"Content-Length: 13\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"Hello, World!")

func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 8192)
	w := bufio.NewWriterSize(c, 8192)
	for {
		// a request ends at an empty line: read lines until "\r\n" alone
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) == 2 && line[0] == '\r' {
				break
			}
		}
		w.Write(response)
		// flush once no further (pipelined) request is already buffered
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: http-raw PORT [procs]")
		os.Exit(2)
	}
	procs := common.Procs(2, 1)
	addr := "127.0.0.1:" + os.Args[1]
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http-raw procs=%d listening=%s\n", procs, addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go serve(c)
	}
}
