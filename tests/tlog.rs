//! The verifiable log, black-box: checkpoints signed with the published key, proofs checked
//! by an RFC 9162 verifier written here (not the service's), tiles, leaves for those who
//! may read them, witnesses that cosign a growing log and refuse a forked one, `verify`
//! and `serve` refusing a log that no longer matches what it signed, and `proof verify`.

mod common;

use base64::Engine;
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

type H = [u8; 32];

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|e| panic!("{s:?} is not base64: {e}"))
}

fn hash(s: &str) -> H {
    b64(s).try_into().expect("32 bytes")
}

fn node(l: &H, r: &H) -> H {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

fn leaf(bytes: &[u8]) -> H {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(bytes);
    h.finalize().into()
}

/// RFC 9162 §2.1.3.2, written again here so that the service is not checked by itself.
fn inclusion_ok(leaf_hash: H, index: u64, size: u64, proof: &[H], root: H) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s, mut r) = (index, size - 1, leaf_hash);
    for p in proof {
        if s == 0 {
            return false;
        }
        if f % 2 == 1 || f == s {
            r = node(p, &r);
            while f % 2 == 0 && f != 0 {
                f /= 2;
                s /= 2;
            }
        } else {
            r = node(&r, p);
        }
        f /= 2;
        s /= 2;
    }
    s == 0 && r == root
}

/// RFC 9162 §2.1.4.2.
fn consistency_ok(m: u64, n: u64, root1: H, root2: H, proof: &[H]) -> bool {
    if m == n {
        return proof.is_empty() && root1 == root2;
    }
    if m == 0 || m > n {
        return m == 0 && proof.is_empty();
    }
    let mut path = proof.to_vec();
    if m.is_power_of_two() {
        path.insert(0, root1);
    }
    if path.is_empty() {
        return false;
    }
    let (mut f, mut s) = (m - 1, n - 1);
    while f % 2 == 1 {
        f /= 2;
        s /= 2;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f % 2 == 1 || f == s {
            fr = node(c, &fr);
            sr = node(c, &sr);
            while f % 2 == 0 && f != 0 {
                f /= 2;
                s /= 2;
            }
        } else {
            sr = node(&sr, c);
        }
        f /= 2;
        s /= 2;
    }
    s == 0 && fr == root1 && sr == root2
}

fn hashes(v: &Value) -> Vec<H> {
    v.as_array()
        .expect("a list of hashes")
        .iter()
        .map(|h| hash(h.as_str().expect("base64")))
        .collect()
}

/// The checkpoint's (size, root, the whole note), once it covers at least `size` leaves.
fn checkpoint_at_least(c: &Client, size: u64) -> (u64, H, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = c.get("/log/checkpoint");
        if r.status == 200 {
            let mut lines = r.text.lines();
            let _origin = lines.next();
            let n: u64 = lines.next().expect("size").parse().expect("decimal");
            let root = lines.next().expect("root");
            assert!(root.len() == 44, "{}", r.text);
            let root = hash(root);
            if n >= size {
                return (n, root, r.text.clone());
            }
        }
        assert!(
            Instant::now() < deadline,
            "no checkpoint of {size}: {}",
            r.text
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Checks the log's Ed25519 signature on a note with its published verifier key, by
/// hand from the C2SP signed-note spec: key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4].
fn signed_by(note: &str, vkey: &str) -> bool {
    let mut parts = vkey.trim().splitn(3, '+');
    let (name, id_hex, key) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        b64(parts.next().unwrap()),
    );
    assert_eq!(key[0], 0x01, "an Ed25519 note key");
    let pk: [u8; 32] = key[1..].try_into().unwrap();
    let mut idh = Sha256::new();
    idh.update(name.as_bytes());
    idh.update([0x0a, 0x01]);
    idh.update(pk);
    let id: [u8; 4] = idh.finalize()[..4].try_into().unwrap();
    assert_eq!(hex(&id), id_hex, "the vkey's id is the key's");
    let (text, sigs) = note
        .rsplit_once("\n\n")
        .expect("text, blank line, signatures");
    let text = format!("{text}\n");
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).unwrap();
    sigs.lines().any(|l| {
        let Some(rest) = l.strip_prefix("— ") else {
            return false;
        };
        let Some((n, sig)) = rest.split_once(' ') else {
            return false;
        };
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig) else {
            return false;
        };
        n == name
            && sig[..4] == id
            && sig.len() == 68
            && vk
                .verify_strict(
                    text.as_bytes(),
                    &ed25519_dalek::Signature::from_slice(&sig[4..]).unwrap(),
                )
                .is_ok()
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn fast_log(cfg: &mut boardtrail::server::Config) {
    cfg.checkpoint_every = Duration::from_millis(100);
}

#[test]
fn checkpoints_proofs_tiles_and_leaves() {
    let srv = TestServer::start_with(tempfile::tempdir().unwrap(), fast_log);
    let op = srv.client();
    let mill = op.party("临沂板材一厂", "supplier", "91371300MA3C0P1A0", "临沂");
    let maker = op.party("沭阳家具", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let n1 = op.events();
    let (size1, root1, note1) = checkpoint_at_least(&op, n1);
    assert_eq!(size1, n1);
    let vkey = op.get("/log/key").text;
    assert!(signed_by(&note1, &vkey), "{note1}\n{vkey}");
    // A created resource names its event.
    let lot = op
        .post(
            "/api/v1/lots",
            &json!({"producer": mill, "lot_code": "LY-T13-01", "material": "plywood",
                    "formaldehyde_class": "E1", "quantity": {"value": 100.0, "unit": "sheet"},
                    "produced_at": "2026-11-01T00:00:00Z"}),
        )
        .ok(201)
        .clone();
    let lot_seq = lot["seq"].as_u64().expect("seq in the created lot");
    assert_eq!(lot_seq, op.events());
    for i in 0..5 {
        op.post(
            "/api/v1/lots",
            &json!({"producer": mill, "lot_code": format!("LY-T13-1{i}"), "material": "mdf",
                    "formaldehyde_class": "E1", "quantity": {"value": 10.0, "unit": "sheet"},
                    "produced_at": "2026-11-01T00:00:00Z"}),
        )
        .ok(201);
    }
    let n2 = op.events();
    let (size2, root2, note2) = checkpoint_at_least(&op, n2);
    assert!(signed_by(&note2, &vkey));
    // The same signature over another tree size does not verify (only the size line
    // changed: the signature line stays well-formed).
    let mut lines: Vec<String> = note2.lines().map(str::to_string).collect();
    lines[1] = (size2 + 1).to_string();
    assert!(!signed_by(&(lines.join("\n") + "\n"), &vkey));
    // Every leaf: its bytes hash to the leaf hash the proof names, and the proof leads to
    // the checkpoint's root.
    let mut leaves = Vec::new();
    for seq in 1..=size2 {
        let p = op.get(&format!("/log/proof/inclusion?seq={seq}&size={size2}"));
        let p = p.ok(200);
        assert_eq!(p["leaf_index"], seq - 1);
        assert_eq!(p["tree_size"], size2);
        let lh = hash(p["leaf_hash"].as_str().unwrap());
        assert!(
            inclusion_ok(lh, seq - 1, size2, &hashes(&p["proof"]), root2),
            "{p}"
        );
        assert!(!inclusion_ok(lh, seq % size2, size2, &hashes(&p["proof"]), root2) || size2 == 1);
        let l = op.get(&format!("/log/leaf/{seq}"));
        let l = l.ok(200);
        assert_eq!(l["seq"], seq);
        assert_eq!(leaf(&b64(l["leaf"].as_str().unwrap())), lh);
        leaves.push(lh);
    }
    // By leaf hash too, and in the older tree.
    let by_hash = op.get(&format!(
        "/log/proof/inclusion?hash={}&size={size1}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(leaves[1])
    ));
    let by_hash = by_hash.ok(200);
    assert_eq!(by_hash["leaf_index"], 1);
    assert!(inclusion_ok(
        leaves[1],
        1,
        size1,
        &hashes(&by_hash["proof"]),
        root1
    ));
    // Consistency between the two checkpoints, and from every smaller size.
    let c = op.get(&format!("/log/proof/consistency?from={size1}&to={size2}"));
    let c = c.ok(200);
    assert_eq!(
        (c["size1"].as_u64(), c["size2"].as_u64()),
        (Some(size1), Some(size2))
    );
    assert!(consistency_ok(
        size1,
        size2,
        root1,
        root2,
        &hashes(&c["proof"])
    ));
    assert!(!consistency_ok(
        size1,
        size2,
        root2,
        root2,
        &hashes(&c["proof"])
    ));
    for m in 1..size2 {
        let c = op.get(&format!("/log/proof/consistency?from={m}&to={size2}"));
        let c = c.ok(200);
        let r1 = hash(c["root1"].as_str().unwrap());
        assert!(
            consistency_ok(m, size2, r1, root2, &hashes(&c["proof"])),
            "{m}: {c}"
        );
    }
    // Level-0 tile: the leaf hashes themselves (C2SP tlog-tiles).
    let (status, _, tile) = op.get_bytes(&format!("/log/tile/0/000.p/{size2}"), &[]);
    assert_eq!(status, 200);
    assert_eq!(tile, leaves.concat());
    assert_eq!(op.get("/log/tile/0/000.p/0").status, 400);
    assert_eq!(op.get("/log/tile/0/001").status, 404);
    // Bad input: clear 4xx problems.
    op.get(&format!(
        "/log/proof/inclusion?seq={}&size={size2}",
        size2 + 1
    ))
    .problem(422);
    op.get("/log/proof/inclusion?seq=0").problem(400);
    op.get("/log/proof/inclusion?seq=1&hash=AAAA").problem(400);
    op.get(&format!(
        "/log/proof/consistency?from={}&to={size2}",
        size2 + 1
    ))
    .problem(422);
    op.get("/log/proof/consistency?from=x").problem(400);
    op.get("/log/leaf/abc").problem(400);
    // The events themselves are not public: a leaf only for whoever may read the event.
    let anon = op.with_token(None);
    assert_eq!(anon.get("/log/checkpoint").status, 200);
    assert_eq!(anon.get(&format!("/log/leaf/{lot_seq}")).status, 401);
    let (status, _, _) = anon.get_bytes("/log/tile/entries/000.p/1", &[]);
    assert_eq!(status, 401);
    let key = op
        .post(&format!("/api/v1/parties/{maker}/keys"), &json!({}))
        .ok(201)
        .clone();
    let maker_c = op.with_token(key["token"].as_str());
    maker_c.get(&format!("/log/leaf/{lot_seq}")).problem(404);
    let (status, _, bundle) = op.get_bytes(&format!("/log/tile/entries/000.p/{size2}"), &[]);
    assert_eq!(status, 200);
    // uint16-length-prefixed entries, each hashing to its leaf.
    let (mut at, mut i) = (0, 0);
    while at < bundle.len() {
        let len = u16::from_be_bytes([bundle[at], bundle[at + 1]]) as usize;
        assert_eq!(leaf(&bundle[at + 2..at + 2 + len]), leaves[i]);
        at += 2 + len;
        i += 1;
    }
    assert_eq!(i, leaves.len());
    // The trace names each node's event.
    let lot_id = id(&lot);
    let up = op.get(&format!("/api/v1/trace/upstream/{lot_id}"));
    let nodes = up.ok(200)["nodes"].as_array().unwrap().clone();
    let lot_node = nodes
        .iter()
        .find(|n| n["id"] == lot_id.as_str())
        .expect("the lot");
    assert_eq!(lot_node["seq"].as_u64(), Some(lot_seq));
    assert!(
        nodes
            .iter()
            .all(|n| n["seq"].as_u64().is_some_and(|s| s <= size2)),
        "{nodes:?}"
    );
    let w = op.get("/log/witnesses");
    assert_eq!(w.ok(200)["witnesses"], json!([]));
}

/// A witness process (`boardtrail witness`) for the log with verifier key `log_vkey`.
struct WitnessProc {
    _proc: Proc,
    vkey: String,
    base: String,
}

fn spawn_witness(dir: &std::path::Path, log_vkey: &str) -> WitnessProc {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(BIN)
        .args([
            "witness",
            "--bind",
            "127.0.0.1:0",
            "--name",
            "witness.xuzhou.example/w1",
        ])
        .arg("--key")
        .arg(dir.join("witness.key"))
        .arg("--state")
        .arg(dir.join("witness.state"))
        .args(["--log-key", log_vkey.trim()])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the witness");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut base, mut vkey) = (None, None);
    while base.is_none() || vkey.is_none() {
        let line = lines.next().expect("witness output").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            base = Some(rest.trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("verifier key: ") {
            vkey = Some(rest.trim().to_string());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    WitnessProc {
        _proc: Proc {
            child,
            base: String::new(),
        },
        vkey: vkey.unwrap(),
        base: base.unwrap(),
    }
}

/// The size the witness cosigned for the log, as `/log/witnesses` says, once it reaches `n`.
fn cosigned(c: &Client, n: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let w = c.get("/log/witnesses").body;
        if w["witnesses"][0]["cosigned_size"].as_u64() >= Some(n) {
            return w;
        }
        assert!(Instant::now() < deadline, "not cosigned up to {n}: {w}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn witnesses_cosign_a_growing_log_and_refuse_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    // First start: learn the log's key, then run with a witness.
    let a = spawn_binary_with(&a_dir, TOKEN, None, &["--checkpoint-every-s", "0.1"]);
    let op = Client::new(&a.base, Some(TOKEN));
    let log_vkey = op.get("/log/key").text;
    drop(a);
    let w = spawn_witness(dir.path(), &log_vkey);
    let witness_arg = format!("{},{}", w.base, w.vkey);
    let args = ["--checkpoint-every-s", "0.1", "--witness", &witness_arg];
    let a = spawn_binary_with(&a_dir, TOKEN, None, &args);
    let op = Client::new(&a.base, Some(TOKEN));
    op.party("临沂板材一厂", "supplier", "91371300MA3C0P1A0", "临沂");
    let n = op.events();
    let st = cosigned(&op, n);
    assert_eq!(st["witnesses"][0]["name"], "witness.xuzhou.example/w1");
    assert_eq!(st["witnesses"][0]["key"], w.vkey.as_str());
    // The published checkpoint carries the witness's cosignature (type 0x04 key id).
    let note = op.get("/log/checkpoint").text;
    let wname = "witness.xuzhou.example/w1";
    assert!(
        note.lines().any(|l| l.starts_with(&format!("— {wname} "))),
        "{note}"
    );
    let (_, ok) = proof_verify_checkpoint(&note, &log_vkey, &w.vkey, dir.path());
    assert!(ok, "proof verify refused the cosigned checkpoint");
    // The log grows: cosigned again.
    op.party("沭阳家具", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let grown = op.events();
    cosigned(&op, grown);
    drop(a);
    // A backup of the store as it is now, taken while it is stopped.
    let older = dir.path().join("older");
    copy_dir(&a_dir, &older);
    // A fork: a copy of the log (same key, same origin) takes other events than the
    // original. The witness cosigns whichever it sees first and refuses the other.
    copy_dir(&a_dir, &b_dir);
    let a = spawn_binary_with(&a_dir, TOKEN, None, &args);
    let op_a = Client::new(&a.base, Some(TOKEN));
    op_a.party("徐州板材", "supplier", "91320300MA1X0P1A0", "徐州");
    cosigned(&op_a, grown + 1);
    drop(a);
    let b = spawn_binary_with(&b_dir, TOKEN, None, &args);
    let op_b = Client::new(&b.base, Some(TOKEN));
    op_b.party("另一家工厂", "manufacturer", "91321300MA1B0P3C0", "宿迁");
    op_b.party("第二家工厂", "manufacturer", "91321300MA1B0P4C0", "宿迁");
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let s = op_b.get("/log/witnesses").body;
        if let Some(e) = s["witnesses"][0]["last_error"].as_str() {
            break e.to_string();
        }
        assert!(Instant::now() < deadline, "the fork was never refused: {s}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        refused.contains("422") || refused.contains("409") || refused.contains("refuses"),
        "{refused}"
    );
    let note_b = op_b.get("/log/checkpoint").text;
    assert!(
        !note_b.contains(&format!("— {wname} ")),
        "the fork got a cosignature: {note_b}"
    );
    let status = ureq::get(&format!("{}/", w.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        status.contains(&format!("cosigned size {}", grown + 1)),
        "{status}"
    );
    drop(b);
    // A log that shrinks (the whole data dir restored from the older backup: its store and
    // its checkpoint agree) gets no cosignature either, and is told why.
    let o = spawn_binary_with(&older, TOKEN, None, &args);
    let op_o = Client::new(&o.base, Some(TOKEN));
    // It signs a new checkpoint once it grows again: of other events than the witness saw.
    // (Until then it serves the restored checkpoint, which the witness cosigned back then;
    // and a retry of that one at start is refused too: wait for the new one's answer.)
    let size = |note: &str| -> u64 {
        note.lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0)
    };
    let restored = size(&op_o.get("/log/checkpoint").text);
    op_o.party("回滚后的工厂", "manufacturer", "91321300MA1C0P5D0", "宿迁");
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let s = op_o.get("/log/witnesses").body;
        let grew = size(&op_o.get("/log/checkpoint").text) > restored;
        if let (Some(e), true) = (s["witnesses"][0]["last_error"].as_str(), grew) {
            break e.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the shrunk log was never refused: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        refused.contains("409") || refused.contains("422"),
        "{refused}"
    );
    let note_o = op_o.get("/log/checkpoint").text;
    assert!(
        !note_o.contains(&format!("— {wname} ")),
        "the rolled-back log got a cosignature: {note_o}"
    );
}

/// `boardtrail proof verify --checkpoint` on a note: (output, exit 0).
fn proof_verify_checkpoint(
    note: &str,
    log_vkey: &str,
    witness_vkey: &str,
    dir: &std::path::Path,
) -> (String, bool) {
    let path = dir.join("checkpoint.txt");
    std::fs::write(&path, note).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["proof", "verify", "--log-key", log_vkey.trim()])
        .args(["--witness-key", witness_vkey])
        .arg("--checkpoint")
        .arg(&path)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.success(),
    )
}

#[test]
fn a_log_that_lost_or_changed_signed_events_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (live, old) = (dir.path().join("live"), dir.path().join("old"));
    let p = spawn_binary_with(&live, TOKEN, None, &["--checkpoint-every-s", "0.1"]);
    let op = Client::new(&p.base, Some(TOKEN));
    op.party("临沂板材一厂", "supplier", "91371300MA3C0P1A0", "临沂");
    drop(p);
    // A backup of the store taken now, while the log goes on and signs more.
    copy_dir(&live, &old);
    let p = spawn_binary_with(&live, TOKEN, None, &["--checkpoint-every-s", "0.1"]);
    let op = Client::new(&p.base, Some(TOKEN));
    op.party("沭阳家具", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let n = op.events();
    checkpoint_at_least(&op, n);
    drop(p);
    assert_verifies(&live);
    // The old store under the new checkpoint file: events the log signed are gone.
    let restored = dir.path().join("restored");
    copy_dir(&old, &restored);
    std::fs::copy(live.join("log.checkpoint"), restored.join("log.checkpoint")).unwrap();
    let (code, text) = verify(&restored);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("events were lost"), "{text}");
    let out = std::process::Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&restored)
        .env("BOARDTRAIL_ADMIN_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("events were lost"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A checkpoint whose root was changed by one character is named by verify.
    let tampered = dir.path().join("tampered");
    copy_dir(&live, &tampered);
    let cp = std::fs::read_to_string(tampered.join("log.checkpoint")).unwrap();
    let mut lines: Vec<String> = cp.lines().map(str::to_string).collect();
    let root = &mut lines[2];
    let flipped = if root.starts_with('A') { "B" } else { "A" };
    root.replace_range(0..1, flipped);
    std::fs::write(tampered.join("log.checkpoint"), lines.join("\n") + "\n").unwrap();
    let (code, text) = verify(&tampered);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("checkpoint"), "{text}");
}

#[test]
fn proof_verify_checks_files_offline() {
    let srv = TestServer::start_with(tempfile::tempdir().unwrap(), fast_log);
    let op = srv.client();
    for i in 0..6 {
        op.party(
            &format!("板材厂{i}"),
            "supplier",
            &format!("9137130{i}MA3C0P1A0"),
            "临沂",
        );
    }
    let n = op.events();
    let (size, root, note) = checkpoint_at_least(&op, n);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
        p
    };
    let inc = op
        .get(&format!("/log/proof/inclusion?seq=3&size={size}"))
        .body;
    let cons = op
        .get(&format!("/log/proof/consistency?from=2&to={size}"))
        .body;
    // The same proofs in the shape of the RFC 6962 test vectors (transparency-dev/merkle).
    let inc_vec = json!({"leafIdx": 2, "treeSize": size, "root": inc["root"],
                         "leafHash": inc["leaf_hash"], "proof": inc["proof"]});
    let cons_vec = json!({"size1": 2, "size2": size, "root1": cons["root1"],
                          "root2": cons["root2"], "proof": cons["proof"]});
    let mut bad = inc_vec.clone();
    bad["leafIdx"] = json!(3);
    let files = [
        write("inc.json", &inc),
        write("cons.json", &cons),
        write("inc-vector.json", &inc_vec),
        write("cons-vector.json", &cons_vec),
    ];
    let cp = dir.path().join("checkpoint.txt");
    std::fs::write(&cp, &note).unwrap();
    let vkey = op.get("/log/key").text;
    let run = |files: &[std::path::PathBuf]| {
        let out = std::process::Command::new(BIN)
            .args(["proof", "verify", "--log-key", vkey.trim(), "--checkpoint"])
            .arg(&cp)
            .args(files)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&files);
    assert_eq!(code, Some(0), "{out}");
    for f in &files {
        assert!(out.contains(&format!("{}: ok", f.display())), "{out}");
    }
    let bad = write("bad-vector.json", &bad);
    let mut wrong_root = inc.clone();
    wrong_root["root"] =
        json!(base64::engine::general_purpose::STANDARD.encode(node(&root, &root)));
    let wrong_root = write("wrong-root.json", &wrong_root);
    let (code, out) = run(&[files[0].clone(), bad.clone(), wrong_root.clone()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("{}: ok", files[0].display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}: invalid (", bad.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}: invalid (", wrong_root.display())),
        "{out}"
    );
}
