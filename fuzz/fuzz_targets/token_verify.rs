//! `token_verify`: untrusted compact JWS approval tokens (DESIGN §12, `approval::verify`).
//!
//! Two input forms:
//! - **raw** (any input not starting with a 0 byte): the bytes, if UTF-8, are the token; the
//!   seeds are valid tokens of the fixed cast, so mutations of real signatures are explored;
//! - **signed** (input starting with 0): the rest drives `arbitrary` to build a header and a
//!   payload (claims around the expected shape, or any bytes) that a cast member really signs
//!   with its own key, so the claim checks after the signature are reached; optionally one
//!   character of the signature is then changed.
//!
//! Properties, for every token, verified for the case `case-fuzz` at `now()` with a lifetime
//! bound of 3600 s:
//! - no panic; an error has a non-empty code and a message that formats;
//! - an `Ok` approval's `issuer()` is a principal of the trust file and owns the key `kid()`;
//!   its `token()` is the input and `token_digest()` its SHA-256; its case is the expected one;
//!   `issued_at() <= at + 60 s`, `at < expires_at()`, and the lifetime is positive and at most
//!   the bound;
//! - an accepted token is in the one canonical encoding: each of its three parts re-encodes to
//!   itself (unpadded base64url, no stray bits), so one signature has one token text;
//! - the same token is also accepted without a case constraint (the declaration path), with the
//!   same issuer and jti;
//! - in the signed form: an accepted token's issuer is the member who signed it, and a token
//!   whose signature was changed is refused.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use authority_lane::approval::{AUDIENCE, NOT_BEFORE_LEEWAY_SECS, VerifyContext, verify};
use authority_lane::digest::Digest;
use authority_lane_fuzz::fixture::{CASE_ID, World, now};
use authority_lane_fuzz::inputs::Name;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

thread_local! {
    static WORLD: World = World::new();
}

const MAX_LIFETIME_SECS: i64 = 3600;

fuzz_target!(|data: &[u8]| {
    WORLD.with(|w| match data.split_first() {
        Some((0, rest)) => signed(w, rest),
        _ => {
            if let Ok(token) = std::str::from_utf8(data) {
                check(w, token);
            }
        }
    })
});

/// Verifies `token` and checks the properties; returns the issuer if it was accepted.
fn check(w: &World, token: &str) -> Option<String> {
    let at = now();
    let ctx = VerifyContext {
        case_id: Some(&w.case_id),
        at,
        max_lifetime_secs: MAX_LIFETIME_SECS,
    };
    let approval = match verify(token, &w.trust, &ctx) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.code(); // every refusal names an ErrorCode (by type)
            let _ = e.to_string();
            return None;
        }
    };
    let issuer = approval.issuer();
    assert!(w.trust.principal(issuer).is_some(), "accepted issuer {issuer} is not in the trust file");
    assert_eq!(w.trust.key_owner(approval.kid()), Some(issuer), "accepted kid is not the issuer's");
    assert_eq!(approval.token(), token, "the approval keeps another token text");
    assert_eq!(approval.token_digest(), &Digest::of_bytes(token.as_bytes()));
    assert_eq!(approval.case_id(), &w.case_id);
    let (iat, exp) = (approval.issued_at().timestamp(), approval.expires_at().timestamp());
    assert!(iat <= at.timestamp() + NOT_BEFORE_LEEWAY_SECS, "accepted before its iat");
    assert!(at.timestamp() < exp, "accepted at or after its exp");
    assert!(0 < exp - iat && exp - iat <= MAX_LIFETIME_SECS, "accepted lifetime {}", exp - iat);
    for part in token.split('.') {
        let bytes = URL_SAFE_NO_PAD.decode(part).expect("an accepted token's parts are base64url");
        assert_eq!(URL_SAFE_NO_PAD.encode(bytes), part, "an accepted token part is not canonical base64url");
    }
    let open = VerifyContext { case_id: None, ..ctx };
    match verify(token, &w.trust, &open) {
        Ok(b) => {
            assert_eq!(b.issuer(), issuer);
            assert_eq!(b.jti(), approval.jti());
        }
        Err(e) => panic!("accepted for the case but refused without a case constraint: {e}"),
    }
    Some(issuer.as_str().to_owned())
}

// ----- the signed form -----

#[derive(Debug, Arbitrary)]
struct Signed {
    who: u8,
    header: Header,
    payload: Payload,
    /// Change the signature's character at this index (modulo its length) to another one.
    tamper: Option<(u8, u8)>,
}

#[derive(Debug, Arbitrary)]
enum Header {
    /// `{"alg":"EdDSA","kid":<the signer's kid>,"typ":"JWT"}`.
    Contract,
    /// The contract header with these members changed.
    Changed {
        alg: Option<Field>,
        kid: Option<Field>,
        extra: Option<(String, Field)>,
    },
    /// Any JSON (taken as a JSON string when it does not parse).
    Json(String),
}

#[derive(Debug, Arbitrary)]
enum Field {
    Absent,
    Null,
    Str(String),
    /// A cast member's kid, by index.
    Kid(u8),
    Num(i64),
    Array(Vec<String>),
}

#[derive(Debug, Arbitrary)]
enum Payload {
    Claims(Claims),
    /// Any bytes.
    Bytes(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Claims {
    /// `None`: the signer's own id.
    iss: Option<Name>,
    aud: Aud,
    /// `None`: `case-fuzz`.
    sub: Option<String>,
    /// Offsets from `now()` (`None`: a minute before it), or absolute values.
    iat: Time,
    exp: Time,
    jti: String,
    decision: Decision,
    extra: Option<(String, String)>,
}

#[derive(Debug, Arbitrary)]
enum Aud {
    One,
    Many(Vec<String>, u8),
    Other(String),
    Num(i64),
}

#[derive(Debug, Arbitrary)]
enum Time {
    Default,
    Offset(i32),
    Absolute(i64),
    Float(f64),
    Text(String),
}

#[derive(Debug, Arbitrary)]
enum Decision {
    StandDown(String),
    Review(String, Vec<String>),
    Accept(String, String),
    Delegate(String, String, String),
    /// Any JSON (taken as a JSON string when it does not parse).
    Json(String),
}

fn signed(w: &World, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(s) = Signed::arbitrary(&mut u) else {
        return;
    };
    let principals: Vec<&str> = World::principals().collect();
    let who = principals[usize::from(s.who) % principals.len()];
    let kid_of = |i: u8| {
        let p = principals[usize::from(i) % principals.len()];
        w.cast.member(p).expect("a cast member").signer.kid().as_str().to_owned()
    };
    let own_kid = w.cast.member(who).expect("a cast member").signer.kid().as_str().to_owned();
    let field = |f: &Field| -> Option<Value> {
        match f {
            Field::Absent => None,
            Field::Null => Some(Value::Null),
            Field::Str(s) => Some(json!(s)),
            Field::Kid(i) => Some(json!(kid_of(*i))),
            Field::Num(n) => Some(json!(n)),
            Field::Array(a) => Some(json!(a)),
        }
    };
    let header = match &s.header {
        Header::Contract => json!({"alg": "EdDSA", "kid": own_kid, "typ": "JWT"}),
        Header::Changed { alg, kid, extra } => {
            let mut h = json!({"alg": "EdDSA", "kid": own_kid, "typ": "JWT"});
            let obj = h.as_object_mut().expect("an object");
            for (name, f) in [("alg", alg), ("kid", kid)] {
                if let Some(f) = f {
                    match field(f) {
                        Some(v) => obj.insert(name.to_owned(), v),
                        None => obj.remove(name),
                    };
                }
            }
            if let Some((k, f)) = extra
                && let Some(v) = field(f)
            {
                obj.insert(k.clone(), v);
            }
            h
        }
        Header::Json(text) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
    };
    let payload = match &s.payload {
        Payload::Bytes(b) => b.clone(),
        Payload::Claims(c) => serde_json::to_vec(&claims(c, who)).expect("a JSON value serialises"),
    };
    let member = w.cast.member(who).expect("a cast member");
    let mut token = member.signer.sign_raw(&header, &payload);
    let mut tampered = false;
    if let Some((index, with)) = s.tamper {
        let sig_start = token.rfind('.').expect("three parts") + 1;
        let sig_len = token.len() - sig_start;
        if sig_len > 0 {
            const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let at = sig_start + usize::from(index) % sig_len;
            let new = ALPHABET[usize::from(with) % ALPHABET.len()];
            if token.as_bytes()[at] != new {
                let mut bytes = token.into_bytes();
                bytes[at] = new;
                token = String::from_utf8(bytes).expect("ASCII");
                tampered = true;
            }
        }
    }
    if let Some(issuer) = check(w, &token) {
        assert!(!tampered, "a token whose signature was changed is accepted: {token}");
        assert_eq!(issuer, who, "a token signed by {who} is accepted as {issuer}'s");
    }
}

fn claims(c: &Claims, who: &str) -> Value {
    let base = now().timestamp();
    let time = |t: &Time, default: i64| -> Value {
        match t {
            Time::Default => json!(base + default),
            Time::Offset(o) => json!(base + i64::from(*o)),
            Time::Absolute(a) => json!(a),
            Time::Float(f) => json!(f),
            Time::Text(s) => json!(s),
        }
    };
    let principals: Vec<&str> = World::principals().collect();
    let aud = match &c.aud {
        Aud::One => json!(AUDIENCE),
        Aud::Many(others, at) => {
            let mut all = others.clone();
            let i = usize::from(*at) % (all.len() + 1);
            all.insert(i, AUDIENCE.to_owned());
            json!(all)
        }
        Aud::Other(s) => json!(s),
        Aud::Num(n) => json!(n),
    };
    let decision = match &c.decision {
        Decision::StandDown(r) => json!({"kind": "stand_down", "reason": r}),
        Decision::Review(d, attests) => json!({"kind": "review", "packet_digest": d, "attests": attests}),
        Decision::Accept(l, d) => json!({"kind": "accept", "lane": l, "packet_digest": d}),
        Decision::Delegate(l, to, until) => json!({"kind": "delegate", "lane": l, "to": to, "until": until}),
        Decision::Json(text) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
    };
    let mut v = json!({
        "iss": c.iss.as_ref().map_or(who.to_owned(), |n| n.pick(&principals)),
        "aud": aud,
        "sub": c.sub.clone().unwrap_or_else(|| CASE_ID.to_owned()),
        "iat": time(&c.iat, -60),
        "exp": time(&c.exp, 540),
        "jti": c.jti,
        "decision": decision,
    });
    if let Some((k, val)) = &c.extra {
        v[k.as_str()] = json!(val);
    }
    v
}
