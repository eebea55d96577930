#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the fuzz inputs too big to keep in git, each for a defect the limits fixed:
gen-inputs.py OUTPUT... (the file name says which input)."""

import json
import sys

HEAD = b'{"method":"io.virtkit.Fuzz.Echo","parameters":{"text":"x","tags":'


def varlink_deep_arrays():
    return HEAD + b'[' * 100000 + b'\0'       # json-glib recursed per level: SIGSEGV


def varlink_deep_objects():
    return HEAD + b'{"a":' * 100000 + b'\0'


def varlink_many_values():
    return HEAD + b'[' + b'"a",' * 300000 + b'"a"]}}\0'


def varlink_oversized():
    # over the 8 MiB limit, then a request on the same connection that must not be answered
    return HEAD + b'["' + b'a' * (9 << 20) + b'"]}}\0' + \
        json.dumps({'method': 'io.virtkit.Fuzz.Echo', 'parameters': {'text': 'y'}}).encode() + b'\0'


def domain_xml_many_attributes():
    # libxml2's duplicate-attribute check is quadratic: 40 s for 100,000 attributes
    attrs = ' '.join(f"a{i}='x'" for i in range(100000))
    return (f"<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
            f"<devices><disk {attrs}/></devices></domain>").encode()


def domain_xml_deep():
    return b"<domain type='kvm'>" + b'<a>' * 100000 + b'</a>' * 100000 + b'</domain>'


def domain_xml_many_nodes():
    return b"<domain type='kvm'><name>x</name><devices>" + b"<e a='1'/>" * 150000 + \
        b'</devices></domain>'


for out in sys.argv[1:]:
    name = out.rsplit('/', 1)[-1].rsplit('.', 1)[0].replace('-', '_')
    with open(out, 'wb') as f:
        f.write(globals()[name]())
