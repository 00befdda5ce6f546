//! The text form: `SRC -> DST PROTO[/PORT] [sport N] [ipv4|ipv6] [fragment]
//! [via hostendpoint/NAME]... [method M] [path P]`.
//!
//! `PROTO/PORT` is `tcp/80`, `udp/53`, `sctp/9`, `udplite/7`; ICMP is `icmp/TYPE[/CODE]` or
//! `icmpv6/TYPE[/CODE]` (code 0 by default); `proto/N` is protocol N without an L4 header.
//! Protocol names are case-insensitive; a number may stand for a name (`6/80`).

use std::sync::Arc;

use palisade_policy_model::values::IpVersion;

use super::{Flow, FlowError, Peer, has_ports, parse_protocol};
use crate::packet::{PROTO_ICMP, PROTO_ICMPV6};

fn syntax(words: &[&str], position: usize, message: impl Into<String>) -> FlowError {
    FlowError::Syntax {
        word: words
            .get(position)
            .map_or_else(|| "(end)".to_owned(), |w| (*w).to_owned()),
        position: position + 1,
        message: message.into(),
    }
}

fn number<T: std::str::FromStr>(
    words: &[&str],
    position: usize,
    text: &str,
    what: &str,
) -> Result<T, FlowError> {
    text.parse::<T>()
        .map_err(|_| syntax(words, position, format!("expected {what}, got `{text}`")))
}

impl Flow {
    /// Parses the text form (see the module docs). Errors name the offending word.
    pub fn parse(text: &str) -> Result<Flow, FlowError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let w = &words[..];
        if w.len() < 4 {
            return Err(syntax(
                w,
                w.len(),
                "expected `SRC -> DST PROTO[/PORT]`, e.g. `default/a -> default/b tcp/80`",
            ));
        }
        let src = Peer::parse(w[0]).map_err(|m| syntax(w, 0, m))?;
        if w[1] != "->" {
            return Err(syntax(w, 1, "expected `->`"));
        }
        let dst = Peer::parse(w[2]).map_err(|m| syntax(w, 2, m))?;
        let mut parts = w[3].split('/');
        let head = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        let mut flow;
        if head.eq_ignore_ascii_case("proto") {
            let [n] = rest[..] else {
                return Err(syntax(w, 3, "expected proto/NUMBER"));
            };
            let protocol = parse_protocol(n)
                .filter(|_| n.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| syntax(w, 3, "expected a protocol number 1-255 after proto/"))?;
            flow = Flow::new(src, dst, protocol);
            flow.fragment = true;
        } else {
            let protocol = parse_protocol(head).ok_or_else(|| {
                syntax(
                    w,
                    3,
                    "unknown protocol: expected TCP, UDP, SCTP, UDPLite, ICMP, ICMPv6, a number, or proto/N",
                )
            })?;
            flow = Flow::new(src, dst, protocol);
            if has_ports(protocol) {
                let [port] = rest[..] else {
                    return Err(syntax(
                        w,
                        3,
                        format!("expected {head}/PORT (use proto/{protocol} for no L4 header)"),
                    ));
                };
                flow.dst_port = Some(number(w, 3, port, "a port number")?);
            } else if matches!(protocol, PROTO_ICMP | PROTO_ICMPV6) {
                match rest[..] {
                    [t] => flow.icmp_type = Some(number(w, 3, t, "an ICMP type 0-255")?),
                    [t, c] => {
                        flow.icmp_type = Some(number(w, 3, t, "an ICMP type 0-255")?);
                        flow.icmp_code = Some(number(w, 3, c, "an ICMP code 0-255")?);
                    }
                    _ => {
                        return Err(syntax(
                            w,
                            3,
                            format!("expected {head}/TYPE or {head}/TYPE/CODE"),
                        ));
                    }
                }
            } else if rest.is_empty() {
                flow.fragment = true;
            } else {
                return Err(syntax(
                    w,
                    3,
                    format!("protocol {protocol} has no ports or ICMP fields"),
                ));
            }
        }
        let mut i = 4;
        while i < w.len() {
            let value = |i: usize| -> Result<&str, FlowError> {
                w.get(i + 1)
                    .copied()
                    .ok_or_else(|| syntax(w, i, format!("`{}` needs a value", w[i])))
            };
            match w[i] {
                "sport" => {
                    let v = value(i)?;
                    flow.src_port = Some(number(w, i + 1, v, "a port number")?);
                    i += 2;
                }
                "ipv4" => {
                    flow.ip_version = Some(IpVersion::V4);
                    i += 1;
                }
                "ipv6" => {
                    flow.ip_version = Some(IpVersion::V6);
                    i += 1;
                }
                "fragment" => {
                    flow.fragment = true;
                    i += 1;
                }
                "via" => {
                    let v = value(i)?;
                    let Some(name) = v.strip_prefix("hostendpoint/").filter(|n| !n.is_empty())
                    else {
                        return Err(syntax(w, i + 1, "expected hostendpoint/NAME after `via`"));
                    };
                    flow.via.push(Arc::from(name));
                    i += 2;
                }
                "method" => {
                    flow.method = Some(value(i)?.to_owned());
                    i += 2;
                }
                "path" => {
                    flow.path = Some(value(i)?.to_owned());
                    i += 2;
                }
                _ => {
                    return Err(syntax(
                        w,
                        i,
                        "expected sport N, ipv4, ipv6, fragment, via hostendpoint/NAME, method M or path P",
                    ));
                }
            }
        }
        flow.check()?;
        Ok(flow)
    }
}
