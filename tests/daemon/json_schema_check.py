#!/usr/bin/env python3
"""Check a JSON document against the subset of JSON Schema that
docs/status.schema.json uses (no network, no packages).

  json_schema_check.py SCHEMA DOC            errors on stderr, exit 1 if any
  json_schema_check.py SCHEMA DOC --mutate [--optional PATH]...
      also: every key removed, and every number/boolean/string given a wrong type, one at
      a time, must be refused (the checker can fail) - except the removal of a key named
      by --optional (a dotted path, list indexes as numbers)
  json_schema_check.py SCHEMA DOC --part KEY...
      DOC is an object holding only some top-level members: each DOC[KEY] is checked
      against the schema's properties[KEY] (the unit tests' pieces of a report)

Keywords: type, const, enum, properties, required, additionalProperties, items,
maxItems, minimum, maximum, oneOf, $ref (#/$defs/...), format ipv4/ipv6; $schema, $id,
title, description, $defs are annotations. Any other keyword is an error, so the
schema cannot lean on something this checker ignores.
"""
import copy
import ipaddress
import json
import sys

KNOWN = {"type", "const", "enum", "properties", "required", "additionalProperties", "items",
         "maxItems", "minimum", "maximum", "oneOf", "$ref", "format",
         "$schema", "$id", "title", "description", "$defs"}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def check(root, schema, v, path, errs):
    for k in schema:
        if k not in KNOWN:
            errs.append("%s: schema keyword %r not supported by this checker" % (path, k))
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        check(root, root["$defs"][ref[len("#/$defs/"):]], v, path, errs)
    if "type" in schema:
        ts = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](v) for t in ts):
            errs.append("%s: %r is not of type %s" % (path, v, "/".join(ts)))
            return
    if "const" in schema and v != schema["const"]:
        errs.append("%s: %r is not %r" % (path, v, schema["const"]))
    if "enum" in schema and v not in schema["enum"]:
        errs.append("%s: %r not one of %r" % (path, v, schema["enum"]))
    if "minimum" in schema and TYPES["number"](v) and v < schema["minimum"]:
        errs.append("%s: %r < %r" % (path, v, schema["minimum"]))
    if "maximum" in schema and TYPES["number"](v) and v > schema["maximum"]:
        errs.append("%s: %r > %r" % (path, v, schema["maximum"]))
    if schema.get("format") == "ipv4" and isinstance(v, str):
        try:
            ipaddress.IPv4Address(v)
        except ValueError:
            errs.append("%s: %r is not an IPv4 address" % (path, v))
    if schema.get("format") == "ipv6" and isinstance(v, str):
        try:
            ipaddress.IPv6Address(v)
        except ValueError:
            errs.append("%s: %r is not an IPv6 address" % (path, v))
    if "oneOf" in schema:
        ok = 0
        for sub in schema["oneOf"]:
            e = []
            check(root, sub, v, path, e)
            ok += not e
        if ok != 1:
            errs.append("%s: %r matches %d of oneOf's %d branches (want 1)"
                        % (path, v, ok, len(schema["oneOf"])))
    if isinstance(v, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in v:
                errs.append("%s: required key %r missing" % (path, k))
        for k, sub in v.items():
            if k in props:
                check(root, props[k], sub, "%s.%s" % (path, k), errs)
            elif schema.get("additionalProperties") is False:
                errs.append("%s: key %r not in the schema" % (path, k))
            elif isinstance(schema.get("additionalProperties"), dict):
                check(root, schema["additionalProperties"], sub, "%s.%s" % (path, k), errs)
    if isinstance(v, list):
        if "maxItems" in schema and len(v) > schema["maxItems"]:
            errs.append("%s: %d items > %d" % (path, len(v), schema["maxItems"]))
        if "items" in schema:
            for i, sub in enumerate(v):
                check(root, schema["items"], sub, "%s[%d]" % (path, i), errs)


def validate(schema, doc):
    errs = []
    check(schema, schema, doc, "$", errs)
    return errs


def walk(v, path=()):
    """Every (path, value) in the document."""
    yield path, v
    if isinstance(v, dict):
        for k, sub in v.items():
            yield from walk(sub, path + (k,))
    elif isinstance(v, list):
        for i, sub in enumerate(v):
            yield from walk(sub, path + (i,))


def mutations(doc):
    """(what, mutated document): one required-looking key dropped, or one value retyped."""
    for path, v in walk(doc):
        if not path:
            continue
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        if isinstance(parent, dict):
            d = copy.deepcopy(doc)
            t = d
            for p in path[:-1]:
                t = t[p]
            del t[path[-1]]
            yield "drop " + ".".join(map(str, path)), d
        if isinstance(v, (bool, int, str)) and not isinstance(parent, list):
            d = copy.deepcopy(doc)
            t = d
            for p in path[:-1]:
                t = t[p]
            t[path[-1]] = "x" if not isinstance(v, str) else 7
            yield "retype " + ".".join(map(str, path)), d


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    schema = json.load(open(sys.argv[1]))
    with open(sys.argv[2], "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))	# strict: bad UTF-8 fails here
    args = sys.argv[3:]
    parts = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--part"]

    def errors(d):
        if not parts:
            return validate(schema, d)
        e = []
        for k in parts:
            if k not in d:
                e.append("$: part %r missing" % k)
            else:
                check(schema, schema["properties"][k], d[k], "$." + k, e)
        return e

    errs = errors(doc)
    for e in errs[:50]:
        print("schema: " + e, file=sys.stderr)
    if errs:
        return 1
    if "--mutate" in sys.argv[3:]:
        n = caught = 0
        missed = []
        for what, d in mutations(doc):
            n += 1
            if errors(d):
                caught += 1
            else:
                missed.append(what)
        optional = {"drop " + args[i + 1] for i, a in enumerate(args[:-1]) if a == "--optional"}
        bad = [m for m in missed if m not in optional]
        print("mutations: %d, refused %d, accepted %d (%s)"
              % (n, caught, len(missed), ", ".join(missed) or "none"))
        if bad:
            print("schema accepted: " + ", ".join(bad), file=sys.stderr)
            return 1
    print("schema ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
