// A minimal vcsim (govmomi 0.24.2 from Debian) for running the suite against an
// independent server: plain HTTP on the given address, VPX model, vapi simulator.
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("l", "127.0.0.1:8989", "listen address")
	flag.Parse()
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		panic(err)
	}
	model.Service.Listen = &url.URL{Host: *listen}
	model.Service.RegisterEndpoints = true
	server := model.Service.NewServer()
	fmt.Println(server.URL.String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	server.Close()
	model.Remove()
}
