//! DNS answers for `domains` rules (`--dns NAME=IP`, `--dns-file FILE`).
//!
//! A DNS file is either a JSON object mapping names to an address or a list of addresses
//! (`{"catfact.ninja": ["104.21.0.1", "2606:4700::1"]}`) or hosts-file lines (`IP NAME...`, `#`
//! comments).

use std::net::IpAddr;

use palisade_compiler::DnsCache;

/// Why DNS answers could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// A `NAME=IP` argument is malformed.
    #[error("--dns `{text}`: {message}")]
    Pair {
        /// The argument.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// A DNS file line is malformed.
    #[error("{file} line {line}: {message}")]
    Line {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A JSON DNS file is malformed.
    #[error("{file}: {message}")]
    Json {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// Parses `NAME=IP`.
pub fn parse_pair(text: &str) -> Result<(String, IpAddr), DnsError> {
    let err = |message: &str| DnsError::Pair {
        text: text.to_owned(),
        message: message.to_owned(),
    };
    let (name, ip) = text
        .split_once('=')
        .ok_or_else(|| err("expected NAME=IP, e.g. api.example.com=192.0.2.10"))?;
    if name.trim().is_empty() {
        return Err(err("the name is empty"));
    }
    let ip = ip
        .trim()
        .parse::<IpAddr>()
        .map_err(|_| err("expected an IPv4 or IPv6 address after `=`"))?;
    Ok((name.trim().to_owned(), ip))
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Addresses {
    One(IpAddr),
    Many(Vec<IpAddr>),
}

/// Adds the answers of a DNS file (`file` names it in errors) to `cache`.
pub fn add_file(cache: &mut DnsCache, file: &str, text: &str) -> Result<(), DnsError> {
    if text.trim_start().starts_with('{') {
        let map: std::collections::BTreeMap<String, Addresses> = serde_json::from_str(text)
            .map_err(|e| DnsError::Json {
                file: file.to_owned(),
                message: format!(
                    "{e} (expected an object mapping names to an address or a list of addresses)"
                ),
            })?;
        for (name, addrs) in map {
            match addrs {
                Addresses::One(ip) => cache.insert(&name, ip),
                Addresses::Many(ips) => ips.into_iter().for_each(|ip| cache.insert(&name, ip)),
            }
        }
        return Ok(());
    }
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |message: String| DnsError::Line {
            file: file.to_owned(),
            line: i + 1,
            message,
        };
        let mut words = line.split_whitespace();
        let ip_text = words.next().unwrap_or("");
        let ip: IpAddr = ip_text.parse().map_err(|_| {
            err(format!(
                "expected `IP NAME...`, got `{ip_text}` as the address"
            ))
        })?;
        let mut names = words.peekable();
        if names.peek().is_none() {
            return Err(err(format!("no name follows {ip}")));
        }
        for name in names {
            cache.insert(name, ip);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn pairs_and_both_file_forms() {
        assert_eq!(
            parse_pair("api.example.com=192.0.2.1").expect("pair"),
            ("api.example.com".to_owned(), ip("192.0.2.1"))
        );
        assert!(parse_pair("api.example.com").is_err());
        assert!(parse_pair("=192.0.2.1").is_err());
        assert!(parse_pair("a=not-an-ip").is_err());

        let mut cache = DnsCache::new();
        add_file(
            &mut cache,
            "hosts",
            "# comment\n192.0.2.1 a.example.com b.example.com\n\n2001:db8::1 a.example.com\n",
        )
        .expect("hosts form");
        add_file(&mut cache, "dns.json", r#"{"C.example.com.": "192.0.2.3"}"#).expect("json");
        assert_eq!(cache.resolve("a.example.com").len(), 2);
        assert_eq!(cache.resolve("b.example.com").len(), 1);
        assert_eq!(cache.resolve("c.example.com").len(), 1);
        let bad = add_file(&mut cache, "hosts", "192.0.2.1 ok\nnonsense here\n");
        assert!(matches!(bad, Err(DnsError::Line { line: 2, .. })));
    }
}
