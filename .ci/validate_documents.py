#!/usr/bin/env python3
"""Validates the records of a real journal against the published JSON Schemas, with an
independent validator (python-jsonschema, Draft 2020-12, format checking on).

Usage: validate_documents.py SCHEMAS_DIR JOURNAL

Record 0's event must validate against genesis.schema.json, every later record's event
against event.schema.json, every record against journal-record.schema.json. Exits 1 naming the record and the first error."""
import json
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "jsonschema"])
    import jsonschema


def validator(path):
    with open(path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def main():
    schemas, journal = sys.argv[1], sys.argv[2]
    genesis = validator(f"{schemas}/genesis.schema.json")
    record = validator(f"{schemas}/journal-record.schema.json")
    event = validator(f"{schemas}/event.schema.json")
    failures = 0
    with open(journal) as f:
        for n, line in enumerate(f):
            rec = json.loads(line)
            checks = [("journal-record", record, rec)]
            if n == 0:
                checks.append(("genesis", genesis, rec["event"]))
            else:
                checks.append(("event", event, rec["event"]))
            for name, v, doc in checks:
                errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
                if errors:
                    failures += 1
                    e = errors[0]
                    print(f"record {n}: {name}.schema.json: {e.message} at /{'/'.join(map(str, e.path))}")
    if failures:
        sys.exit(1)
    print(f"{n + 1} records of {journal} validate (record 0 against genesis.schema.json, the rest against event.schema.json)")


main()
