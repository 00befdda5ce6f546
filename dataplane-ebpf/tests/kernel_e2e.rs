//! End to end: two "pods" in network namespaces behind a router namespace, each on a veth pair
//! whose host side carries the attached datapath. Real TCP connects, UDP exchanges and pings are
//! allowed or denied by policy; replies pass through conntrack although the replying side's
//! policy denies everything. Needs root, `ip` and `ping`.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use common::kernel::{Netns, ip_in, root_or_skip, serial};
use palisade_compiler::Snapshot;
use palisade_compiler::ir::{
    Hook, IcmpMatch, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule, Match,
    Origin, PortMatch, Program, ProgramTarget, SideMatch,
};
use palisade_dataplane_ebpf::dataplane::{Binding, Dataplane, DataplaneConfig};
use palisade_dataplane_ebpf::sys::{AttachPoint, EventKind, NetnsGuard};
use palisade_policy_model::model::{EndpointKey, PolicyId, PolicyKind};
use palisade_policy_model::values::PortRange;
use smallvec::smallvec;

const A4: &str = "10.99.1.2";
const B4: &str = "10.99.2.2";
const A6: &str = "fd00:99:1::2";
const B6: &str = "fd00:99:2::2";

fn origin(rule: u32) -> Origin {
    Origin::Rule {
        tier: "default".into(),
        policy: PolicyId {
            kind: PolicyKind::GlobalNetworkPolicy,
            namespace: None,
            name: "e2e".into(),
        },
        rule,
    }
}

fn rule(i: u32, matches: Match, action: IrAction) -> IrRule {
    IrRule {
        matches,
        action,
        origin: origin(i),
    }
}

fn deny_all(hook: Hook) -> Arc<Program> {
    Arc::new(
        Program::new(
            hook,
            vec![IrRule {
                matches: Match::any(),
                action: IrAction::Deny,
                origin: Origin::NoMatch,
            }],
        )
        .expect("test setup"),
    )
}

fn ports(p: u16) -> Option<PortMatch> {
    Some(PortMatch {
        ranges: smallvec![PortRange::single(p).expect("test setup")],
        named: smallvec![],
    })
}

/// A may send anything; B accepts TCP 8080 (logged), UDP 9000 and pings from A, nothing else;
/// B may send nothing and A accept nothing: replies must come through conntrack.
fn snapshot() -> Snapshot {
    let a_set = IpSetId::derive("s", "app == 'a'");
    let mut sets = IpSets::new();
    sets.insert(IpSet::new(
        a_set.clone(),
        IpSetSource::Nets,
        IpSetMembers::addrs([
            format!("{A4}/32").parse().expect("test setup"),
            format!("{A6}/128").parse().expect("test setup"),
        ]),
    ));
    let from_a = SideMatch {
        sets: smallvec![a_set],
        ..SideMatch::default()
    };
    let b_ingress = Program::new(
        Hook::WorkloadIngress,
        vec![
            rule(
                0,
                Match {
                    protocol: Some(6),
                    src: from_a.clone(),
                    dst: SideMatch {
                        ports: ports(8080),
                        ..SideMatch::default()
                    },
                    ..Match::any()
                },
                IrAction::Log,
            ),
            rule(
                1,
                Match {
                    protocol: Some(6),
                    src: from_a.clone(),
                    dst: SideMatch {
                        ports: ports(8080),
                        ..SideMatch::default()
                    },
                    ..Match::any()
                },
                IrAction::Allow,
            ),
            rule(
                2,
                Match {
                    protocol: Some(17),
                    src: from_a.clone(),
                    dst: SideMatch {
                        ports: ports(9000),
                        ..SideMatch::default()
                    },
                    ..Match::any()
                },
                IrAction::Allow,
            ),
            rule(
                3,
                Match {
                    protocol: Some(1),
                    icmp: Some(IcmpMatch::new(8, None)),
                    src: from_a,
                    ..Match::any()
                },
                IrAction::Allow,
            ),
            IrRule {
                matches: Match::any(),
                action: IrAction::Deny,
                origin: Origin::EndOfTier {
                    tier: "default".into(),
                },
            },
        ],
    )
    .expect("test setup");
    let allow_all = Arc::new(
        Program::new(
            Hook::WorkloadEgress,
            vec![rule(0, Match::any(), IrAction::Allow)],
        )
        .expect("test setup"),
    );
    let a = EndpointKey::Workload {
        namespace: "ns1".into(),
        name: "a".into(),
    };
    let b = EndpointKey::Workload {
        namespace: "ns1".into(),
        name: "b".into(),
    };
    let t = |endpoint: &EndpointKey, hook| ProgramTarget {
        endpoint: endpoint.clone(),
        hook,
    };
    let programs = [
        (t(&a, Hook::WorkloadEgress), allow_all),
        (
            t(&a, Hook::WorkloadIngress),
            deny_all(Hook::WorkloadIngress),
        ),
        (t(&b, Hook::WorkloadIngress), Arc::new(b_ingress)),
        (t(&b, Hook::WorkloadEgress), deny_all(Hook::WorkloadEgress)),
    ]
    .into_iter()
    .collect();
    Snapshot { programs, sets }
}

/// Router namespace `h` with veths `va`/`vb` to pod namespaces `a`/`b` (IPv4 and IPv6).
struct Topology {
    h: Netns,
    a: Netns,
    b: Netns,
}

fn write_in(ns: &Netns, path: &str, value: &str) {
    let _in = ns.enter();
    std::fs::write(path, value)
        .unwrap_or_else(|e| panic!("cannot write {path} in {}: {e}", ns.name));
}

fn topology() -> Topology {
    let t = Topology {
        h: Netns::new("e2e-h"),
        a: Netns::new("e2e-a"),
        b: Netns::new("e2e-b"),
    };
    for (veth, pod, n) in [("va", &t.a, 1), ("vb", &t.b, 2)] {
        ip_in(
            &t.h.name,
            &[
                "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", &pod.name,
            ],
        );
        ip_in(
            &t.h.name,
            &["addr", "add", &format!("10.99.{n}.1/24"), "dev", veth],
        );
        ip_in(
            &t.h.name,
            &[
                "addr",
                "add",
                &format!("fd00:99:{n}::1/64"),
                "dev",
                veth,
                "nodad",
            ],
        );
        ip_in(&t.h.name, &["link", "set", veth, "up"]);
        ip_in(
            &pod.name,
            &["addr", "add", &format!("10.99.{n}.2/24"), "dev", "eth0"],
        );
        ip_in(
            &pod.name,
            &[
                "addr",
                "add",
                &format!("fd00:99:{n}::2/64"),
                "dev",
                "eth0",
                "nodad",
            ],
        );
        ip_in(&pod.name, &["link", "set", "eth0", "up"]);
        ip_in(
            &pod.name,
            &["route", "add", "default", "via", &format!("10.99.{n}.1")],
        );
        ip_in(
            &pod.name,
            &[
                "-6",
                "route",
                "add",
                "default",
                "via",
                &format!("fd00:99:{n}::1"),
            ],
        );
    }
    write_in(&t.h, "/proc/sys/net/ipv4/ip_forward", "1");
    write_in(&t.h, "/proc/sys/net/ipv6/conf/all/forwarding", "1");
    t
}

fn in_ns<T: Send + 'static>(
    ns: &Netns,
    f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    let name = ns.name.clone();
    thread::spawn(move || {
        let _in = NetnsGuard::enter_named(&name).unwrap_or_else(|e| panic!("enter {name}: {e}"));
        f()
    })
}

fn connect(ns: &Netns, addr: SocketAddr) -> bool {
    in_ns(ns, move || {
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(1500)) else {
            return false;
        };
        s.set_read_timeout(Some(Duration::from_secs(2))).ok();
        let mut buf = [0u8; 4];
        s.write_all(b"ping").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"pong"
    })
    .join()
    .unwrap_or(false)
}

fn udp_exchange(ns: &Netns, to: SocketAddr) -> bool {
    in_ns(ns, move || {
        let bind: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
            .parse()
            .expect("test setup");
        let s = UdpSocket::bind(bind).expect("test setup");
        s.set_read_timeout(Some(Duration::from_millis(1500))).ok();
        s.send_to(b"ping", to).ok();
        let mut buf = [0u8; 8];
        matches!(s.recv_from(&mut buf), Ok((4, from)) if from == to && &buf[..4] == b"pong")
    })
    .join()
    .unwrap_or(false)
}

fn ping(ns: &Netns, addr: &str) -> bool {
    Command::new("ip")
        .args([
            "netns", "exec", &ns.name, "ping", "-c", "1", "-W", "2", addr,
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// TCP echo-ish servers (answer "pong") on `ports`, and UDP on `udp`, in `ns` until `stop`.
fn servers(
    ns: &Netns,
    tcp: &[(IpAddr, u16)],
    udp: &[(IpAddr, u16)],
    stop: Arc<AtomicBool>,
    udp_seen: Arc<AtomicUsize>,
) -> Vec<thread::JoinHandle<()>> {
    let mut out = Vec::new();
    for &(ip, port) in tcp {
        let stop = Arc::clone(&stop);
        out.push(in_ns(ns, move || {
            let l = TcpListener::bind((ip, port)).expect("test setup");
            l.set_nonblocking(true).ok();
            while !stop.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((mut s, _)) => {
                        s.set_nonblocking(false).ok();
                        s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                        let mut buf = [0u8; 4];
                        if s.read_exact(&mut buf).is_ok() {
                            s.write_all(b"pong").ok();
                        }
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        }));
    }
    for &(ip, port) in udp {
        let stop = Arc::clone(&stop);
        let seen = Arc::clone(&udp_seen);
        out.push(in_ns(ns, move || {
            let s = UdpSocket::bind((ip, port)).expect("test setup");
            s.set_read_timeout(Some(Duration::from_millis(50))).ok();
            let mut buf = [0u8; 16];
            while !stop.load(Ordering::SeqCst) {
                if let Ok((n, from)) = s.recv_from(&mut buf) {
                    seen.fetch_add(1, Ordering::SeqCst);
                    if n == 4 {
                        s.send_to(b"pong", from).ok();
                    }
                }
            }
        }));
    }
    // Give the listeners a moment to bind.
    thread::sleep(Duration::from_millis(200));
    out
}

fn palisade_programs_loaded() -> usize {
    aya::programs::loaded_programs()
        .filter_map(Result::ok)
        .filter(|p| p.name_as_str().is_some_and(|n| n.starts_with("palisade")))
        .count()
}

#[test]
fn policy_decides_real_connections_and_replies_pass_through_conntrack() {
    if !root_or_skip("policy_decides_real_connections_and_replies_pass_through_conntrack") {
        return;
    }
    let _serial = serial();
    let before = palisade_programs_loaded();
    let topo = topology();
    let stop = Arc::new(AtomicBool::new(false));
    let udp_seen = Arc::new(AtomicUsize::new(0));
    let b4: IpAddr = B4.parse().unwrap();
    let b6: IpAddr = B6.parse().unwrap();
    let a4: IpAddr = A4.parse().unwrap();
    let srv_b = servers(
        &topo.b,
        &[(b4, 8080), (b4, 8081), (b6, 8080)],
        &[(b4, 9000), (b4, 9001)],
        Arc::clone(&stop),
        Arc::clone(&udp_seen),
    );
    let srv_a = servers(
        &topo.a,
        &[(a4, 7070)],
        &[],
        Arc::clone(&stop),
        Arc::new(AtomicUsize::new(0)),
    );

    // Without policy everything connects (the topology works).
    assert!(
        connect(&topo.a, SocketAddr::new(b4, 8081)),
        "topology: A cannot reach B"
    );
    assert!(
        connect(&topo.b, SocketAddr::new(a4, 7070)),
        "topology: B cannot reach A"
    );

    {
        let _in_h = topo.h.enter();
        let mut dp = Dataplane::new(DataplaneConfig::default()).unwrap();
        let a = EndpointKey::Workload {
            namespace: "ns1".into(),
            name: "a".into(),
        };
        let b = EndpointKey::Workload {
            namespace: "ns1".into(),
            name: "b".into(),
        };
        let report = dp
            .apply(
                &snapshot(),
                &[
                    Binding {
                        interface: "va".into(),
                        endpoint: a,
                    },
                    Binding {
                        interface: "vb".into(),
                        endpoint: b,
                    },
                ],
            )
            .unwrap();
        assert_eq!(report.attached.len(), 4);
        assert!(palisade_programs_loaded() > before);

        // Allowed by B's ingress; the replies pass A's deny-all ingress and B's deny-all egress
        // only through conntrack.
        assert!(
            connect(&topo.a, SocketAddr::new(b4, 8080)),
            "TCP 8080 A -> B must connect"
        );
        assert!(
            connect(&topo.a, SocketAddr::new(b6, 8080)),
            "TCP 8080 A -> B over IPv6 must connect"
        );
        assert!(
            udp_exchange(&topo.a, SocketAddr::new(b4, 9000)),
            "UDP 9000 A -> B and its reply"
        );
        assert!(ping(&topo.a, B4), "ping A -> B");

        // Denied.
        let seen_before = udp_seen.load(Ordering::SeqCst);
        assert!(
            !connect(&topo.a, SocketAddr::new(b4, 8081)),
            "TCP 8081 A -> B must be denied"
        );
        assert!(
            !udp_exchange(&topo.a, SocketAddr::new(b4, 9001)),
            "UDP 9001 A -> B must be denied"
        );
        assert_eq!(
            udp_seen.load(Ordering::SeqCst),
            seen_before,
            "B received a denied datagram"
        );
        assert!(
            !connect(&topo.b, SocketAddr::new(a4, 7070)),
            "B may not connect to A"
        );
        assert!(!ping(&topo.b, A4), "B may not ping A");

        // At B's interface conntrack holds the flows B's ingress allowed, and none it denied
        // (A's egress allows everything, so A's interface records those too).
        let vb = palisade_dataplane_ebpf::sys::ifindex("vb").unwrap();
        let ct: Vec<_> = dp
            .conntrack()
            .unwrap()
            .into_iter()
            .filter(|e| e.ifindex == vb)
            .collect();
        assert!(ct.iter().any(|e| e.protocol == 6
            && e.responder == (b4, 8080)
            && e.point == Some(AttachPoint::TcEgress)));
        assert!(
            ct.iter()
                .any(|e| e.protocol == 17 && e.responder == (b4, 9000))
        );
        assert!(ct.iter().any(|e| e.protocol == 1 && e.responder.0 == b4));
        assert!(
            !ct.iter()
                .any(|e| e.responder.1 == 8081 || e.responder.1 == 9001),
            "{ct:?}"
        );

        // The Log rule reported the 8080 flow with its provenance and 5-tuple.
        let events = dp.events();
        let log = events
            .iter()
            .find(|e| e.kind == EventKind::Log && e.dst == b4)
            .expect("a Log event for the TCP 8080 flow");
        assert_eq!(log.origin, Some(origin(0)));
        assert_eq!(log.src, a4);
        assert_eq!(log.protocol, 6);
        assert_eq!(log.point, Some(AttachPoint::TcEgress));
        assert!(matches!(
            log.l4,
            palisade_compiler::packet::L4::Ports { dst: 8080, .. }
        ));

        dp.remove_all().unwrap();
        // Detached: B may reach A again.
        assert!(
            connect(&topo.b, SocketAddr::new(a4, 7070)),
            "still enforcing after remove"
        );
    }
    stop.store(true, Ordering::SeqCst);
    for h in srv_b.into_iter().chain(srv_a) {
        h.join().ok();
    }
    drop(topo);
    assert_eq!(palisade_programs_loaded(), before, "programs left loaded");
}

/// A denies everything both ways (ingress and egress); B may send anything and accepts nothing.
fn host_snapshot() -> Snapshot {
    let allow_all = Arc::new(
        Program::new(
            Hook::WorkloadEgress,
            vec![rule(0, Match::any(), IrAction::Allow)],
        )
        .expect("test setup"),
    );
    let a = EndpointKey::Workload {
        namespace: "ns1".into(),
        name: "a".into(),
    };
    let b = EndpointKey::Workload {
        namespace: "ns1".into(),
        name: "b".into(),
    };
    let t = |endpoint: &EndpointKey, hook| ProgramTarget {
        endpoint: endpoint.clone(),
        hook,
    };
    let programs = [
        (
            t(&a, Hook::WorkloadIngress),
            deny_all(Hook::WorkloadIngress),
        ),
        (t(&a, Hook::WorkloadEgress), deny_all(Hook::WorkloadEgress)),
        (
            t(&b, Hook::WorkloadIngress),
            deny_all(Hook::WorkloadIngress),
        ),
        (t(&b, Hook::WorkloadEgress), allow_all),
    ]
    .into_iter()
    .collect();
    Snapshot {
        programs,
        sets: IpSets::new(),
    }
}

#[test]
fn the_host_reaches_a_workload_whose_ingress_denies_everything_forwarded_traffic_does_not() {
    if !root_or_skip(
        "the_host_reaches_a_workload_whose_ingress_denies_everything_forwarded_traffic_does_not",
    ) {
        return;
    }
    let _serial = serial();
    let before = palisade_programs_loaded();
    let topo = topology();
    let stop = Arc::new(AtomicBool::new(false));
    let a4: IpAddr = A4.parse().unwrap();
    let a6: IpAddr = A6.parse().unwrap();
    let srv_a = servers(
        &topo.a,
        &[(a4, 7070), (a6, 7070)],
        &[],
        Arc::clone(&stop),
        Arc::new(AtomicUsize::new(0)),
    );
    assert!(
        connect(&topo.b, SocketAddr::new(a4, 7070)),
        "topology: B cannot reach A"
    );
    {
        let _in_h = topo.h.enter();
        let mut dp = Dataplane::new(DataplaneConfig::default()).unwrap();
        let bindings = [("va", "a"), ("vb", "b")].map(|(interface, name)| Binding {
            interface: interface.into(),
            endpoint: EndpointKey::Workload {
                namespace: "ns1".into(),
                name: name.into(),
            },
        });
        let report = dp.apply(&host_snapshot(), &bindings).unwrap();
        assert_eq!(report.attached.len(), 4);

        // SEMANTICS §3: host -> local workload is not policed by the workload's ingress
        // policy. A's egress denies everything too: the replies pass only as replies of the
        // host's flow.
        assert!(ping(&topo.h, A4), "the host must ping A");
        assert!(ping(&topo.h, A6), "the host must ping A over IPv6");
        assert!(
            connect(&topo.h, SocketAddr::new(a4, 7070)),
            "the host must connect to A"
        );
        assert!(
            connect(&topo.h, SocketAddr::new(a6, 7070)),
            "the host must connect to A over IPv6"
        );

        // The same traffic forwarded from B (whose egress allows everything) is denied by A's
        // ingress policy.
        assert!(!ping(&topo.b, A4), "B may not ping A");
        assert!(!ping(&topo.b, A6), "B may not ping A over IPv6");
        assert!(
            !connect(&topo.b, SocketAddr::new(a4, 7070)),
            "B may not connect to A"
        );
        assert!(
            !connect(&topo.b, SocketAddr::new(a6, 7070)),
            "B may not connect to A over IPv6"
        );
        // A may not start anything itself (its egress denies everything): the host's flows
        // opened nothing for it.
        assert!(!ping(&topo.a, "10.99.1.1"), "A may not ping the host");

        // The host's flows are recorded at A's interface as the host's own, by no rule.
        let va = palisade_dataplane_ebpf::sys::ifindex("va").unwrap();
        let ct: Vec<_> = dp
            .conntrack()
            .unwrap()
            .into_iter()
            .filter(|e| e.ifindex == va)
            .collect();
        let host_tcp = ct
            .iter()
            .find(|e| e.protocol == 6 && e.responder == (a4, 7070))
            .expect("the host's TCP flow is recorded");
        assert!(host_tcp.host_local, "{host_tcp:?}");
        assert_eq!(host_tcp.point, Some(AttachPoint::TcEgress));
        assert_eq!(host_tcp.initiator.0, "10.99.1.1".parse::<IpAddr>().unwrap());
        assert!(ct.iter().all(|e| e.host_local), "{ct:?}");

        dp.remove_all().unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    for h in srv_a {
        h.join().ok();
    }
    drop(topo);
    assert_eq!(palisade_programs_loaded(), before, "programs left loaded");
}
