// SPDX-License-Identifier: LGPL-2.1-or-later
// vlcall: an independent varlink command-line client for the integration tests, built on the
// Go varlink package (Debian's golang-github-varlink-go-dev), so that what the daemons speak is
// checked by an implementation that shares no code with them.
//
// Usage:
//
//	vlcall [-timeout SECS] ADDRESS info
//	vlcall [-timeout SECS] ADDRESS describe INTERFACE
//	vlcall [-strict] [-timeout SECS] ADDRESS validate INTERFACE
//	vlcall [-more] [-oneway] [-timeout SECS] ADDRESS METHOD [JSON-PARAMETERS]
//
// ADDRESS is unix:PATH. Exit codes: 0 success, 1 transport or local failure (message on
// stderr), 2 usage, 3 the service answered with a varlink error, printed on stderr as
// "varlink error: NAME PARAMETERS-JSON", 4 the interface description does not parse.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/varlink/go/varlink"
	"github.com/varlink/go/varlink/idl"
)

func die(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vlcall [-more] [-oneway] [-strict] [-timeout SECS] unix:PATH "+
		"info | describe IFACE | validate IFACE | METHOD [JSON]")
	os.Exit(2)
}

// The Go package turns the four org.varlink.service errors into typed values and every other
// error into *varlink.Error with the raw parameters: print both the same way.
func varlinkError(err error) bool {
	var name string
	var params interface{}

	switch e := err.(type) {
	case *varlink.Error:
		name, params = e.Name, e.Parameters
	case *varlink.MethodNotFound:
		name, params = e.Error(), e
	case *varlink.MethodNotImplemented:
		name, params = e.Error(), e
	case *varlink.InterfaceNotFound:
		name, params = e.Error(), e
	case *varlink.InvalidParameter:
		name, params = e.Error(), e
	default:
		return false
	}
	p, jerr := json.Marshal(params)
	if jerr != nil || params == nil {
		p = []byte("{}")
	}
	fmt.Fprintf(os.Stderr, "varlink error: %s %s\n", name, string(p))
	os.Exit(3)
	return true
}

func fail(err error) {
	if !varlinkError(err) {
		die(err)
	}
}

// The interface name grammar of the current specification (varlink.org, since December 2021):
// upper-case letters are allowed.
var specInterfaceName = regexp.MustCompile(
	`^[A-Za-z](-*[A-Za-z0-9])*(\.[A-Za-z0-9](-*[A-Za-z0-9])*)+$`)

// Parse an interface description with the Go package's IDL parser. Debian's package (0.4.0)
// predates the specification change that allowed upper-case letters in interface names
// (varlink/go#28, #29) and rejects "interface io.virtkit.Qemu" as "unknown keyword ”". Unless
// strict is set, a description the parser rejects is parsed once more with only the name on its
// "interface" line lower-cased, provided the name matches the current grammar; everything else
// (methods, types, errors, syntax) is still the package's verdict.
func parseIDL(description, name string, strict bool) (*idl.IDL, error) {
	parsed, err := idl.New(description)
	if err == nil || strict || strings.ToLower(name) == name {
		return parsed, err
	}
	if !specInterfaceName.MatchString(name) {
		return nil, fmt.Errorf("interface name %q does not match the varlink grammar", name)
	}
	line := regexp.MustCompile(`(?m)^interface[ \t]+` + regexp.QuoteMeta(name) + `[ \t]*$`)
	if len(line.FindAllStringIndex(description, -1)) != 1 {
		return nil, err
	}
	lowered := line.ReplaceAllLiteralString(description, "interface "+strings.ToLower(name))
	parsed, err2 := idl.New(lowered)
	if err2 != nil {
		return nil, err2
	}
	fmt.Fprintf(os.Stderr, "note: %s parsed with its name lower-cased (the Go package rejects "+
		"upper-case interface names: %v)\n", name, err)
	parsed.Name = name
	return parsed, nil
}

func fieldNames(t *idl.Type) []string {
	names := []string{}
	if t == nil {
		return names
	}
	for _, f := range t.Fields {
		if f.Type != nil && f.Type.Kind == idl.TypeMaybe {
			names = append(names, "?"+f.Name)
		} else {
			names = append(names, f.Name)
		}
	}
	return names
}

func main() {
	more := flag.Bool("more", false, "request streamed replies (\"more\")")
	oneway := flag.Bool("oneway", false, "send the call with \"oneway\" and do not wait for a reply")
	strict := flag.Bool("strict", false, "validate: no allowance for upper-case interface names")
	timeout := flag.Float64("timeout", 10, "give up after SECS seconds (connect, send and receive)")
	flag.Parse()
	if flag.NArg() < 2 {
		usage()
	}

	ctx, cancel := context.WithTimeout(context.Background(),
		time.Duration(*timeout*float64(time.Second)))
	defer cancel()

	c, err := varlink.NewConnection(ctx, flag.Arg(0))
	if err != nil {
		die(err)
	}
	defer c.Close()

	switch flag.Arg(1) {
	case "info":
		var vendor, product, version, url string
		var ifaces []string
		if err := c.GetInfo(ctx, &vendor, &product, &version, &url, &ifaces); err != nil {
			fail(err)
		}
		out, _ := json.Marshal(map[string]interface{}{"vendor": vendor, "product": product,
			"version": version, "url": url, "interfaces": ifaces})
		fmt.Println(string(out))
		return
	case "describe", "validate":
		if flag.NArg() != 3 {
			usage()
		}
		d, err := c.GetInterfaceDescription(ctx, flag.Arg(2))
		if err != nil {
			fail(err)
		}
		if flag.Arg(1) == "describe" {
			fmt.Print(d)
			return
		}
		parsed, err := parseIDL(d, flag.Arg(2), *strict)
		if err != nil {
			fmt.Fprintf(os.Stderr, "invalid interface description of %s: %v\n", flag.Arg(2), err)
			os.Exit(4)
		}
		if parsed.Name != flag.Arg(2) {
			fmt.Fprintf(os.Stderr, "interface description names %q, asked for %q\n",
				parsed.Name, flag.Arg(2))
			os.Exit(4)
		}
		// methods with their parameter names, optional ones (?type) prefixed with "?"
		methods := map[string]interface{}{}
		for _, m := range parsed.Methods {
			methods[m.Name] = map[string][]string{"in": fieldNames(m.In),
				"out": fieldNames(m.Out)}
		}
		errors := []string{}
		for _, e := range parsed.Errors {
			errors = append(errors, e.Name)
		}
		types := []string{}
		for _, a := range parsed.Aliases {
			types = append(types, a.Name)
		}
		out, _ := json.Marshal(map[string]interface{}{"interface": parsed.Name,
			"methods": methods, "errors": errors, "types": types})
		fmt.Println(string(out))
		return
	}

	var params interface{} = map[string]interface{}{}
	if flag.NArg() > 2 {
		if err := json.Unmarshal([]byte(flag.Arg(2)), &params); err != nil {
			die(fmt.Errorf("parameters: %v", err))
		}
	}
	var flags uint64
	if *more {
		flags |= varlink.More
	}
	if *oneway {
		flags |= varlink.Oneway
	}
	recv, err := c.Send(ctx, flag.Arg(1), params, flags)
	if err != nil {
		fail(err)
	}
	if *oneway {
		return
	}
	for {
		var out json.RawMessage
		f, err := recv(ctx, &out)
		if err != nil {
			fail(err)
		}
		if out == nil {
			out = json.RawMessage("{}")
		}
		fmt.Println(string(out))
		if f&varlink.Continues == 0 {
			break
		}
	}
}
