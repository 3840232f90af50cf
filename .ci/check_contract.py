#!/usr/bin/env python3
"""The JSON contract from outside, as an integrator in another language meets it (issue 11).

Usage: check_contract.py PATH/TO/authority-lane   (exit 0 = the contract holds)

1. Runs a full lifecycle through the CLI with the system clock and tokens minted with PyJWT:
   init, findings (all sensitivities, a dispute, a note), an exclude_option redirect, reviews,
   acceptance; status at each step; `packet --draft` and the accepted `packet` in every channel
   and format; verify; evaluate on every example facts file; the demo in JSON and its journal;
   and a set of refused inputs, whose error objects are documents too.
2. Validates every JSON document received (and every command, token claim set, trust file and
   workflow sent) against its published schema with python-jsonschema (Draft 2020-12, format
   checking on), and against the schemas `schema --workflow` narrows to the shipped workflow.
3. Checks that each invalid input of issue 11 is refused by the schema AND by the CLI.
4. Generates Python (pydantic v2) models with datamodel-code-generator (`--use-title-as-name`)
   from the command, packet, draft-packet, token-claims and the other schemas, checks that no
   union variant is a numbered class (`Command1`), and parses every real document with them.

Nothing here uses the crate's signer, verifier or schemas' Rust types.
"""
import glob
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "jsonschema", "rfc3339-validator", "datamodel-code-generator", "pyjwt",
                "cryptography"], check=False, capture_output=True)

import jsonschema  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1])
sys.argv = [sys.argv[0], BIN]  # external_threat_check reads the binary from argv
import external_threat_check as x  # noqa: E402  (its PyJWT cast, token and command helpers)

ROOT = x.ROOT
WORKFLOW = x.WORKFLOW
WORK = tempfile.mkdtemp(prefix="contract-")
SCHEMAS = os.path.join(WORK, "schemas")
NARROW = os.path.join(WORK, "narrow")
DOCS = []  # (schema file, document, where it came from)
FAILURES = []


def fail(what):
    FAILURES.append(what)
    print("FAIL", what)


def cli(*args, stdin=None, ok=True):
    rc, out, err = x.run(*args, stdin=stdin)
    if ok and rc != 0:
        raise SystemExit(f"{' '.join(args)} failed ({rc}): {err}")
    return rc, out, err


def doc(schema, value, where):
    DOCS.append((schema, value, where))
    return value


def error_doc(err, where):
    line = err.strip().splitlines()[-1]
    return doc("error.schema.json", json.loads(line), where)


def validator(path):
    with open(path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def lifecycle():
    c = x.Case()
    if c.init_rc != 0:
        raise SystemExit(f"init failed: {c.init_err}")
    # init's own output: run a second init on a fresh journal to capture stdout.
    tok = os.path.join(c.dir, "declare2.jws")
    with open(tok, "w") as f:
        f.write(x.SAM.token({"kind": "declare", "scope": "prod signing key", "severity": "sev1"}))
    rc, out, _ = cli("init", "--workflow", WORKFLOW, "--trust", c.trust, "--journal",
                     os.path.join(c.dir, "second.jsonl"), "--token", tok)
    doc("init.schema.json", json.loads(out), "init")
    doc("trust.schema.json", json.load(open(c.trust)), "trust file")
    doc("workflow.schema.json", json.load(open(WORKFLOW)), "workflow")

    def status(where):
        return doc("status.schema.json", json.loads(cli("status", "--journal", c.journal)[1]), where)

    def apply(*commands):
        for command in commands:
            doc("command.schema.json", command, "command sent")
            doc("NARROW:command", command, "command sent")
            if command["type"] == "decision":  # the token's claims, as the CLI will read them
                claims = x.jwt.decode(command["token"], options={"verify_signature": False})
                doc("token-claims.schema.json", claims, "claims sent")
                doc("NARROW:token-claims", claims, "claims sent")
        text = "".join(json.dumps(cmd) + "\n" for cmd in commands)
        _, out, _ = cli("apply", "--journal", c.journal, stdin=text)
        return [doc("apply-line.schema.json", json.loads(l), "apply") for l in out.splitlines()]

    def views(accepted):
        pins = ["--trust", c.trust, "--workflow", WORKFLOW] if accepted else ["--draft"]
        schema = "packet.schema.json" if accepted else "draft-packet.schema.json"
        for channel in ["security-trust-review", "executive-brief", "authority-selection"]:
            _, out, _ = cli("packet", "--journal", c.journal, "--channel", channel, *pins)
            doc(schema, json.loads(out), f"packet {channel} {'accepted' if accepted else 'draft'}")
            _, md, _ = cli("packet", "--journal", c.journal, "--channel", channel, "--format",
                           "markdown", *pins)
            if not md.startswith("#"):
                fail(f"markdown {channel}: does not start with a heading")

    status("status gathering")
    apply(*x.REQUIRED)
    apply(x.finding("custody.window_start", "2026-11-20T08:00:00Z", "custody-evidence",
                    note="from the HSM audit log"),
          x.finding("impact.customers_affected", 12, "impact-assessment"),
          x.finding("impact.disclosure_deadline", "2026-12-01T00:00:00+01:00", "impact-assessment"),
          x.finding("custody.exposure", "confirmed", "custody-evidence", agent="agent-2"),
          x.finding("lineage.third_party_redistribution", False, "release-lineage"))
    s = status("status drafted")
    views(False)
    apply(x.decision(x.MARCUS.token({"kind": "redirect", "action": "exclude_option",
                                     "option": "contain-and-monitor",
                                     "assessment_digest": s["assessment_digest"],
                                     "reason": "monitoring alone is not enough"})))
    d = status("status after redirect")["draft_digest"]
    apply(x.review(x.LEE, d))
    status("status in review")
    views(False)
    apply(x.review(x.INES, d))
    apply(x.decision(x.MARCUS.token({"kind": "accept", "lane": "executive-cyber-command",
                                     "packet_digest": d})))
    status("status accepted")
    views(True)
    _, out, _ = cli("verify", "--journal", c.journal, "--trust", c.trust, "--workflow", WORKFLOW)
    doc("verify.schema.json", json.loads(out), "verify")
    journal_records(c.journal, "lifecycle journal")
    return c


def journal_records(path, where):
    for n, line in enumerate(open(path)):
        rec = json.loads(line)
        doc("journal-record.schema.json", rec, f"{where} record {n}")
        doc("genesis.schema.json" if n == 0 else "event.schema.json", rec["event"],
            f"{where} record {n} event")


def evaluations():
    for path in sorted(glob.glob(os.path.join(ROOT, "workflows", "examples", "*.json"))):
        if path.endswith(".trust.json"):
            doc("trust.schema.json", json.load(open(path)), path)
            continue
        facts = doc("facts.schema.json", json.load(open(path)), path)
        doc("NARROW:facts", facts, path)
        _, out, _ = cli("evaluate", "--workflow", WORKFLOW, "--facts", "-", stdin=json.dumps(facts))
        doc("assessment.schema.json", json.loads(out), f"evaluate {os.path.basename(path)}")


def demo():
    _, out, _ = cli("demo", "--format", "json")
    doc("demo.schema.json", json.loads(out), "demo --format json")
    journal = os.path.join(WORK, "demo.jsonl")
    cli("demo", "--journal", journal)
    journal_records(journal, "demo journal")
    doc("trust.schema.json", json.load(open(os.path.join(WORK, "demo.trust.json"))), "demo trust")


def invalid_inputs():
    """Issue 11's invalid inputs: each must be refused by the schema and by the CLI, on an open
    case whose draft they name (so that nothing but the fault can refuse them)."""
    c = x.Case()
    c.ok(*x.REQUIRED)
    digest = c.status()["draft_digest"]

    def claims_token(claims):
        return x.jwt.encode(claims, x.LEE.key, algorithm="EdDSA", headers={"kid": x.LEE.kid})

    base = {"iss": x.LEE.id, "aud": "authority-lane", "sub": x.CASE, "iat": 0, "exp": 0,
            "jti": "j-1", "decision": {"kind": "review", "packet_digest": digest,
                                       "attests": x.ATTESTS}}

    def claims(**changes):
        now = int(x.time.time())
        out = dict(base, iat=now, exp=now + 600)
        out.update(changes)
        return out

    def command_case(name, command, code, schemas=("command.schema.json", "NARROW:command")):
        return name, [(s, command) for s in schemas], ("apply", command, code)

    cases = [
        command_case("finding value {}", x.finding("custody.exposure", {}, "custody-evidence"),
                     "invalid_value"),
        command_case("finding count over 2^53-1",
                     x.finding("impact.customers_affected", 2 ** 53, "impact-assessment"),
                     "invalid_value"),
        command_case("finding count negative",
                     x.finding("impact.customers_affected", -1, "impact-assessment"),
                     "invalid_value"),
        command_case("command at without offset",
                     x.finding("custody.exposure", "suspected", "custody-evidence",
                               at="2026-11-28T12:00:00"), "invalid_json"),
        command_case("command with an unknown member",
                     dict(x.finding("custody.exposure", "suspected", "custody-evidence"), extra=1),
                     "invalid_json"),
        ("facts with an undeclared fact",
         [(s, {"facts": {"custody.exposure": "confirmed", "custody.mood": True}})
          for s in ("facts.schema.json", "NARROW:facts")],
         ("evaluate", {"facts": {"custody.exposure": "confirmed", "custody.mood": True}},
          "unknown_fact")),
        ("facts with a wrongly typed value",
         [(s, {"facts": {"custody.exposure": 3}}) for s in ("facts.schema.json", "NARROW:facts")],
         ("evaluate", {"facts": {"custody.exposure": 3}}, "invalid_value")),
        ("claims with an empty jti", [("token-claims.schema.json", claims(jti=""))],
         ("apply", x.decision(claims_token(claims(jti=""))), "invalid_token")),
        ("claims with no attestations",
         [("token-claims.schema.json", claims(decision=dict(base["decision"], attests=[])))],
         ("apply", x.decision(claims_token(claims(decision=dict(base["decision"], attests=[])))),
          "missing_attestation")),
        ("claims with a partial attestation set",
         [("NARROW:token-claims", claims(decision=dict(base["decision"], attests=x.ATTESTS[:1])))],
         ("apply", x.decision(claims_token(
             claims(decision=dict(base["decision"], attests=x.ATTESTS[:1])))),
          "missing_attestation")),
    ]
    for kty, crv in [("EC", "Ed25519"), ("OKP", "X25519")]:
        trust = x.trust_doc(x.CAST)
        trust["principals"][0]["keys"][0]["jwk"].update(kty=kty, crv=crv)
        cases.append((f"trust key {kty}/{crv}", [("trust.schema.json", trust)],
                      ("init", trust, "invalid_trust")))
    # A registered claim a JOSE library may add (`nbf`) is ignored by the verifier: the schema
    # must not refuse it either.
    doc("token-claims.schema.json", claims(nbf=int(x.time.time())), "claims with nbf")
    # A lifetime of 3000 years: refused by the schemas' year ladder and by the CLI.
    long_lived = claims(exp=int(x.time.time()) + 3000 * 365 * 86400)
    cases.append(("claims with a 3000-year lifetime",
                  [("token-claims.schema.json", long_lived), ("NARROW:token-claims", long_lived)],
                  ("apply", x.decision(claims_token(long_lived)), "token_lifetime_too_long")))

    validators = {}
    for name, schema_docs, (how, payload, code) in cases:
        before = len(FAILURES)
        for schema, value in schema_docs:
            v = validators.setdefault(schema, load(schema))
            if v.is_valid(value):
                fail(f"{name}: {schema} accepts it")
        if how == "apply":
            rc, _, err = c.apply(payload)
            expect_error(err, rc, 3, code, name)
        elif how == "evaluate":
            rc, _, err = x.run("evaluate", "--workflow", WORKFLOW, "--facts", "-",
                               stdin=json.dumps(payload))
            expect_error(err, rc, 2, code, name)
        else:
            path = os.path.join(WORK, "bad-trust.json")
            json.dump(payload, open(path, "w"))
            rc, _, err = x.run("init", "--workflow", WORKFLOW, "--trust", path, "--journal",
                               os.path.join(WORK, "never.jsonl"), "--token", "-", stdin="x")
            expect_error(err, rc, 2, code, name)
        if len(FAILURES) == before:
            print(f"ok   refused by schema and CLI: {name}")


def expect_error(err, rc, want_rc, want_code, name):
    try:
        got = error_doc(err, name)["error"]["code"]
    except (ValueError, IndexError, KeyError):
        got = err[:200]
    if (rc, got) != (want_rc, want_code):
        fail(f"{name}: CLI gave ({rc}, {got}), expected ({want_rc}, {want_code})")


def more_errors():
    """Error objects from the edges: each must validate against error.schema.json."""
    for args in [("status", "--journal", os.path.join(WORK, "missing.jsonl")),
                 ("evaluate", "--workflow", os.path.join(WORK, "missing.json"), "--facts", "-"),
                 ("apply", "--journal", os.path.join(WORK, "missing.jsonl"), "--at", "2026-11-28T12:00:00"),
                 ("verify", "--journal", os.path.join(WORK, "missing.jsonl")),
                 ("packet", "--journal", os.path.join(WORK, "demo.jsonl"), "--channel", "nope", "--draft"),
                 ("frobnicate",)]:
        rc, _, err = x.run(*args, stdin="")
        if rc == 0:
            fail(f"{args}: exit 0")
            continue
        error_doc(err, " ".join(args))


def load(schema):
    if schema.startswith("NARROW:"):
        kind = schema.split(":", 1)[1]
        return validator(os.path.join(NARROW, f"signing-key-compromise.{kind}.schema.json"))
    return validator(os.path.join(SCHEMAS, schema))


def validate_all():
    validators = {}
    counts = {}
    for schema, value, where in DOCS:
        v = validators.setdefault(schema, load(schema))
        errors = sorted(v.iter_errors(value), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            fail(f"{where}: {schema}: {e.message[:300]} at /{'/'.join(map(str, e.path))}")
        counts[schema] = counts.get(schema, 0) + 1
    print(f"ok   {len(DOCS)} documents validated: " +
          ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    for path in glob.glob(os.path.join(SCHEMAS, "*.json")):
        s = json.load(open(path))
        if not s.get("$id", "").endswith(os.path.basename(path)):
            fail(f"{path}: no $id naming the file")


def generated_models():
    """datamodel-code-generator models: named variants, and every real document parses."""
    out = os.path.join(WORK, "models")
    os.makedirs(out, exist_ok=True)
    parsed = 0
    for schema in sorted({s for s, _, _ in DOCS if not s.startswith("NARROW:")}):
        module = schema.replace(".schema.json", "").replace("-", "_")
        target = os.path.join(out, module + ".py")
        p = subprocess.run([sys.executable, "-m", "datamodel_code_generator", "--input", os.path.join(SCHEMAS, schema),
                            "--input-file-type", "jsonschema", "--output-model-type",
                            "pydantic_v2.BaseModel", "--use-title-as-name", "--output", target],
                           capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"datamodel-codegen {schema}: {p.stderr[-500:]}")
            continue
        source = open(target).read()
        numbered = re.findall(r"^class (\w+?\d+)\(", source, re.M)
        if numbered:
            fail(f"{schema}: numbered classes {numbered}")
        spec = importlib.util.spec_from_file_location(module, target)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[module] = mod  # pydantic resolves the postponed annotations through it
        spec.loader.exec_module(mod)
        root = json.load(open(os.path.join(SCHEMAS, schema)))["title"]
        model = getattr(mod, root, None) or getattr(mod, "Model", None)
        if model is None:
            fail(f"{schema}: no class {root} in the generated module")
            continue
        for s, value, where in DOCS:
            if s == schema:
                try:
                    model.model_validate(value)
                    parsed += 1
                except Exception as e:  # noqa: BLE001 - report the first line
                    fail(f"{where}: generated {root} refuses it: {str(e)[:300]}")
    print(f"ok   {parsed} documents parsed by the generated pydantic models")


def readme_recipe():
    """The README's recipes, run as written: keys from examples/python/mint_token.py (PyJWT) and
    from examples/shell/mint_token.sh (OpenSSL 3 + coreutils), a trust file of them, a
    declaration each signs, `init` with it."""
    recipes = [("PyJWT", [sys.executable, os.path.join(ROOT, "examples", "python", "mint_token.py")]),
               ("OpenSSL", ["bash", os.path.join(ROOT, "examples", "shell", "mint_token.sh")])]
    for name, script in recipes:
        key = os.path.join(WORK, f"sam-{name}.pem")
        jwk = json.loads(subprocess.run(script + ["new-key", key], check=True,
                                        capture_output=True, text=True).stdout)
        trust = {"principals": [{"id": "sam.rivera", "roles": ["security-leadership"],
                                 "keys": [{"kid": "sam-2026", "jwk": jwk}]}]}
        path = os.path.join(WORK, f"recipe-{name}.trust.json")
        json.dump(trust, open(path, "w"))
        doc("trust.schema.json", trust, f"{name} recipe trust file")
        declare = {"kind": "declare", "scope": "prod signing key", "severity": "sev1"}
        token = subprocess.run(script + ["sign", key, "sam.rivera", "sam-2026", "sev1-recipe",
                                         json.dumps(declare)],
                               check=True, capture_output=True, text=True).stdout
        _, out, _ = cli("init", "--workflow", WORKFLOW, "--trust", path, "--journal",
                        os.path.join(WORK, f"recipe-{name}.jsonl"), "--token", "-", stdin=token)
        doc("init.schema.json", json.loads(out), f"init from the README's {name} recipe")
        print(f"ok   the README's {name} recipe opens a case")


def main():
    cli("schema", "--out", SCHEMAS)
    readme_recipe()
    cli("schema", "--workflow", WORKFLOW, "--out", NARROW)
    lifecycle()
    evaluations()
    demo()
    invalid_inputs()
    more_errors()
    validate_all()
    generated_models()
    if FAILURES:
        print(f"contract check: {len(FAILURES)} failure(s)")
        sys.exit(1)
    print("contract check: every document validates and parses; every invalid input is refused")


if __name__ == "__main__":
    main()
