//! A bundle's transparency-log entry checked against the trusted root: the signed entry
//! timestamp (Rekor's promise to include the entry, which also signs its integrated time),
//! the RFC 6962 inclusion proof up to a root hash, and the checkpoint (a signed note) that
//! signs that root hash — ECDSA for Rekor v1, Ed25519 for Rekor v2 logs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::trust::{LogKey, TrustedRoot};

/// What a verified log entry proves.
#[derive(Debug, Clone)]
pub struct Logged {
    /// The entry's index in the log.
    pub log_index: i64,
    /// When the log integrated it, when the log signed that time (its promise).
    pub integrated_time: Option<DateTime<Utc>>,
    /// The entry's body: what the log recorded of the signature.
    pub body: Value,
}

fn b64(field: &str, v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or_else(|| format!("{field} is missing"))?;
    STANDARD
        .decode(s)
        .map_err(|e| format!("{field} is not base64: {e}"))
}

/// An int64 the protobuf JSON mapping writes as a string (or a number).
fn int(field: &str, v: &Value) -> Result<i64, String> {
    match v {
        Value::String(s) => s.parse().map_err(|_| format!("{field} is not a number")),
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("{field} is not an integer")),
        _ => Err(format!("{field} is missing")),
    }
}

/// Checks `entry` (one of a bundle's `verificationMaterial.tlogEntries`) against `root`.
/// `needs_proof`: bundles from v0.2 on must carry an inclusion proof; a v0.1 bundle must carry
/// the promise.
pub fn verify_entry(
    root: &TrustedRoot,
    entry: &Value,
    needs_proof: bool,
) -> Result<Logged, String> {
    let log_id = b64("tlogEntry.logId.keyId", &entry["logId"]["keyId"])?;
    if !root.has_log(&log_id) {
        return Err(format!(
            "the entry is in a transparency log the trusted root does not know (log id {})",
            hex::encode(&log_id)
        ));
    }
    let body_b64 = entry["canonicalizedBody"]
        .as_str()
        .ok_or("tlogEntry.canonicalizedBody is missing")?;
    let body_bytes = b64("tlogEntry.canonicalizedBody", &entry["canonicalizedBody"])?;
    let body: Value = serde_json::from_slice(&body_bytes)
        .map_err(|e| format!("tlogEntry.canonicalizedBody is not JSON: {e}"))?;
    let log_index = int("tlogEntry.logIndex", &entry["logIndex"])?;
    let integrated = int("tlogEntry.integratedTime", &entry["integratedTime"]).unwrap_or(0);
    let at = Utc
        .timestamp_opt(integrated, 0)
        .single()
        .ok_or("tlogEntry.integratedTime is out of range")?;
    let log = root
        .log(&log_id, (integrated != 0).then_some(at))
        .ok_or_else(|| {
            format!("the transparency log's key was not valid at the entry's time {at}")
        })?;

    let mut integrated_time = None;
    let promise = &entry["inclusionPromise"]["signedEntryTimestamp"];
    if !promise.is_null() {
        let set = b64("inclusionPromise.signedEntryTimestamp", promise)?;
        // Rekor signs the canonical JSON of these four fields, keys sorted, no spaces.
        let signed = format!(
            "{{\"body\":{},\"integratedTime\":{integrated},\"logID\":\"{}\",\"logIndex\":{log_index}}}",
            Value::String(body_b64.to_string()),
            hex::encode(&log_id)
        );
        if !log.key.verifies(signed.as_bytes(), &set) {
            return Err("the log's signed entry timestamp does not verify".into());
        }
        integrated_time = Some(at);
    } else if !needs_proof {
        return Err("a v0.1 bundle's log entry has no inclusion promise".into());
    }

    let proof = &entry["inclusionProof"];
    if !proof.is_null() {
        verify_inclusion(log, proof, &body_bytes)?;
    } else if needs_proof {
        return Err("the log entry has no inclusion proof".into());
    }
    Ok(Logged {
        log_index,
        integrated_time,
        body,
    })
}

fn node(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root hash an RFC 9162 §2.1.3.2 inclusion path leads to from `leaf` at `index` in a
/// tree of `size` leaves; `None` when the path does not fit the tree.
fn root_from_path(index: u64, size: u64, leaf: [u8; 32], path: &[Vec<u8>]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

fn verify_inclusion(log: &LogKey, proof: &Value, body: &[u8]) -> Result<(), String> {
    let index = int("inclusionProof.logIndex", &proof["logIndex"])?;
    let size = int("inclusionProof.treeSize", &proof["treeSize"])?;
    let root = b64("inclusionProof.rootHash", &proof["rootHash"])?;
    let path = proof["hashes"]
        .as_array()
        .ok_or("inclusionProof.hashes is missing")?
        .iter()
        .map(|h| b64("inclusionProof.hashes", h))
        .collect::<Result<Vec<_>, _>>()?;
    let mut leaf = Sha256::new();
    leaf.update([0u8]);
    leaf.update(body);
    let (Ok(index), Ok(size)) = (u64::try_from(index), u64::try_from(size)) else {
        return Err("inclusionProof's index or size is negative".into());
    };
    match root_from_path(index, size, leaf.finalize().into(), &path) {
        Some(r) if r.as_slice() == root => {}
        _ => return Err("the inclusion proof does not lead to its root hash".into()),
    }
    let note = proof["checkpoint"]["envelope"]
        .as_str()
        .ok_or("inclusionProof.checkpoint is missing")?;
    verify_checkpoint(log, note, size, &root)
}

/// Checks a checkpoint (a signed note: origin, tree size and root hash, a blank line, then
/// `— <name> <base64(key hint ‖ signature)>` lines) signs `size` and `root` with the log's key.
fn verify_checkpoint(log: &LogKey, note: &str, size: u64, root: &[u8]) -> Result<(), String> {
    let (text, signatures) = note
        .split_once("\n\n")
        .ok_or("the checkpoint is not a signed note")?;
    let signed = format!("{text}\n");
    let mut lines = text.lines();
    let (_origin, tree_size, root_hash) = (lines.next(), lines.next(), lines.next());
    if tree_size != Some(size.to_string().as_str())
        || root_hash.map(|h| STANDARD.decode(h).ok()) != Some(Some(root.to_vec()))
    {
        return Err("the checkpoint is not of the inclusion proof's tree".into());
    }
    let verified = signatures.lines().any(|line| {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return false;
        };
        let Some((_, sig)) = rest.rsplit_once(' ') else {
            return false;
        };
        match STANDARD.decode(sig) {
            Ok(bytes) if bytes.len() > 4 => log.key.verifies(signed.as_bytes(), &bytes[4..]),
            _ => false,
        }
    });
    if verified {
        Ok(())
    } else {
        Err("the checkpoint is not signed by the log's key".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u8) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([0u8, i]);
        h.finalize().into()
    }

    /// The RFC 6962 tree hash of `leaves`, by its definition.
    fn tree(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = leaves.len().next_power_of_two() / 2;
        node(&tree(&leaves[..k]), &tree(&leaves[k..]))
    }

    /// The audit path of leaf `m` by RFC 6962's definition.
    fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<Vec<u8>> {
        if leaves.len() == 1 {
            return Vec::new();
        }
        let k = leaves.len().next_power_of_two() / 2;
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(tree(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(tree(&leaves[..k]).to_vec());
            p
        }
    }

    #[test]
    fn every_leaf_of_every_tree_up_to_nine_proves_and_no_other_does() {
        for n in 1..=9usize {
            let leaves: Vec<_> = (0..n as u8).map(leaf).collect();
            let root = tree(&leaves);
            for m in 0..n {
                let p = path(m, &leaves);
                assert_eq!(
                    root_from_path(m as u64, n as u64, leaves[m], &p),
                    Some(root),
                    "leaf {m} of {n}"
                );
                let other = leaves[(m + 1) % n];
                if n > 1 {
                    assert_ne!(root_from_path(m as u64, n as u64, other, &p), Some(root));
                }
                assert_eq!(root_from_path(n as u64, n as u64, leaves[m], &p), None);
            }
        }
    }
}
