//! End to end: a "host" namespace routes between a client and a server namespace over two veth
//! pairs, with the dataplane table bound to its two interfaces as workload endpoints. Real TCP,
//! UDP and ICMP traffic (IPv4 and IPv6) is allowed or denied as the programs say; replies of
//! allowed connections pass through conntrack; an established connection survives a policy
//! update that denies new ones (applied incrementally).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use common::kernel::{kernel_tests_enabled, sh};
use common::snap::*;
use palisade_compiler::Snapshot;
use palisade_compiler::ir::{Hook, IcmpMatch, IrAction, IrRule, Match, Origin, Program, SideMatch};
use palisade_dataplane_nft::apply::{Applier, ApplyMode};
use palisade_dataplane_nft::lower::{Binding, LowerOptions, LoweringMode, lower};
use palisade_dataplane_nft::netns::NetnsThread;
use palisade_dataplane_nft::probe::icmp_echo;

const TIMEOUT: Duration = Duration::from_millis(700);

fn allow(m: Match, policy: &str, i: u32) -> IrRule {
    ir(IrAction::Allow, m, rule_origin("default", policy, i))
}

fn tcp(port: u16) -> Match {
    Match {
        protocol: Some(6),
        dst: SideMatch {
            ports: Some(ports(&[(port, port)], &[])),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn udp(port: u16) -> Match {
    Match {
        protocol: Some(17),
        dst: SideMatch {
            ports: Some(ports(&[(port, port)], &[])),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn echo_request(v6: bool) -> Match {
    Match {
        icmp: Some(IcmpMatch::new(if v6 { 128 } else { 8 }, None)),
        ..Default::default()
    }
}

fn program(hook: Hook, mut rules: Vec<IrRule>) -> Program {
    rules.push(ir(
        IrAction::Deny,
        Match::any(),
        Origin::EndOfTier {
            tier: "default".into(),
        },
    ));
    Program::new(hook, rules).unwrap()
}

/// Client may open TCP 8080 and 9090, UDP 5353 and 5454, and ping; the server accepts TCP 8080
/// (while `web_open`), UDP 5353 and pings, and may itself open nothing.
fn policy(web_open: bool) -> Snapshot {
    let client = wl("e2e", "client");
    let server = wl("e2e", "server");
    let client_egress = program(
        Hook::WorkloadEgress,
        vec![
            allow(tcp(8080), "client-out", 0),
            allow(tcp(9090), "client-out", 1),
            allow(udp(5353), "client-out", 2),
            allow(udp(5454), "client-out", 3),
            allow(echo_request(false), "client-out", 4),
            allow(echo_request(true), "client-out", 5),
        ],
    );
    let mut server_in = vec![
        allow(udp(5353), "server-in", 1),
        allow(echo_request(false), "server-in", 2),
        allow(echo_request(true), "server-in", 3),
    ];
    if web_open {
        server_in.insert(0, allow(tcp(8080), "server-in", 0));
    }
    snapshot(
        vec![
            (client.clone(), Hook::WorkloadEgress, client_egress),
            (
                client,
                Hook::WorkloadIngress,
                program(Hook::WorkloadIngress, vec![]),
            ),
            (
                server.clone(),
                Hook::WorkloadIngress,
                program(Hook::WorkloadIngress, server_in),
            ),
            (
                server,
                Hook::WorkloadEgress,
                program(Hook::WorkloadEgress, vec![]),
            ),
        ],
        vec![],
    )
}

struct Topology {
    host: NetnsThread,
    client: NetnsThread,
    server: NetnsThread,
}

fn ip(ns: &NetnsThread, args: &str) {
    let a: Vec<&str> = args.split_whitespace().collect();
    sh(ns, "ip", &a).unwrap_or_else(|e| panic!("ip {args}: {e}"));
}

fn sysctl(ns: &NetnsThread, path: &'static str, value: &'static str) {
    ns.run(move || std::fs::write(path, value))
        .unwrap()
        .unwrap_or_else(|e| panic!("{path}: {e}"));
}

fn topology() -> Topology {
    let t = Topology {
        host: NetnsThread::spawn("e2e-host").unwrap(),
        client: NetnsThread::spawn("e2e-client").unwrap(),
        server: NetnsThread::spawn("e2e-server").unwrap(),
    };
    // No duplicate address detection: addresses are usable at once.
    for ns in [&t.host, &t.client, &t.server] {
        sysctl(ns, "/proc/sys/net/ipv6/conf/default/accept_dad", "0");
        sysctl(ns, "/proc/sys/net/ipv6/conf/all/accept_dad", "0");
    }
    let (c, s) = (t.client.tid(), t.server.tid());
    ip(
        &t.host,
        &format!("link add vc type veth peer name c0 netns {c}"),
    );
    ip(
        &t.host,
        &format!("link add vs type veth peer name s0 netns {s}"),
    );
    for (dev, v4, v6) in [
        ("vc", "10.77.1.1/24", "fd77:1::1/64"),
        ("vs", "10.77.2.1/24", "fd77:2::1/64"),
    ] {
        ip(&t.host, &format!("addr add {v4} dev {dev}"));
        ip(&t.host, &format!("-6 addr add {v6} dev {dev} nodad"));
        ip(&t.host, &format!("link set {dev} up"));
    }
    sysctl(&t.host, "/proc/sys/net/ipv4/ip_forward", "1");
    sysctl(&t.host, "/proc/sys/net/ipv6/conf/all/forwarding", "1");
    for (ns, dev, v4, gw4, v6, gw6) in [
        (
            &t.client,
            "c0",
            "10.77.1.2/24",
            "10.77.1.1",
            "fd77:1::2/64",
            "fd77:1::1",
        ),
        (
            &t.server,
            "s0",
            "10.77.2.2/24",
            "10.77.2.1",
            "fd77:2::2/64",
            "fd77:2::1",
        ),
    ] {
        ip(ns, "link set lo up");
        ip(ns, &format!("addr add {v4} dev {dev}"));
        ip(ns, &format!("-6 addr add {v6} dev {dev} nodad"));
        ip(ns, &format!("link set {dev} up"));
        ip(ns, &format!("route add default via {gw4}"));
        ip(ns, &format!("-6 route add default via {gw6}"));
    }
    t
}

/// Servers in the server namespace: TCP echo on 8080 and 9090, UDP echo on 5353 and 5454.
struct Servers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Servers {
    fn start(ns: &NetnsThread) -> Servers {
        let stop = Arc::new(AtomicBool::new(false));
        let (tcp, udp) = ns
            .run(|| {
                let mut tcp = Vec::new();
                let mut udp = Vec::new();
                // Dual-stack sockets: `::` also receives IPv4 (as mapped addresses).
                let any: IpAddr = "::".parse().unwrap();
                for port in [8080u16, 9090] {
                    tcp.push(TcpListener::bind((any, port)).unwrap());
                }
                for port in [5353u16, 5454] {
                    udp.push(UdpSocket::bind((any, port)).unwrap());
                }
                (tcp, udp)
            })
            .unwrap();
        let mut threads = Vec::new();
        for l in tcp {
            let stop = stop.clone();
            threads.push(std::thread::spawn(move || serve_tcp(l, &stop)));
        }
        for s in udp {
            let stop = stop.clone();
            threads.push(std::thread::spawn(move || serve_udp(s, &stop)));
        }
        Servers { stop, threads }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn serve_tcp(l: TcpListener, stop: &AtomicBool) {
    l.set_nonblocking(true).unwrap();
    let mut conns: Vec<TcpStream> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok((s, _)) = l.accept() {
            s.set_nonblocking(true).unwrap();
            conns.push(s);
        }
        for c in &mut conns {
            let mut buf = [0u8; 64];
            if let Ok(n) = c.read(&mut buf)
                && n > 0
            {
                let _ = c.write_all(&buf[..n]);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn serve_udp(s: UdpSocket, stop: &AtomicBool) {
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut buf = [0u8; 64];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((n, from)) = s.recv_from(&mut buf) {
            let _ = s.send_to(&buf[..n], from);
        }
    }
}

/// Opens a TCP connection from the client namespace and checks that an echo comes back.
fn tcp_echo(client: &NetnsThread, to: SocketAddr) -> Option<TcpStream> {
    let stream = match client
        .run(move || TcpStream::connect_timeout(&to, TIMEOUT))
        .unwrap()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("connect {to}: {e}");
            return None;
        }
    };
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    (&stream).write_all(b"hello").ok()?;
    let mut buf = [0u8; 5];
    if let Err(e) = (&stream).read_exact(&mut buf) {
        eprintln!("read from {to}: {e}");
        return None;
    }
    (&buf == b"hello").then_some(stream)
}

fn still_echoes(mut stream: &TcpStream) -> bool {
    let mut buf = [0u8; 4];
    stream.write_all(b"more").is_ok() && stream.read_exact(&mut buf).is_ok() && &buf == b"more"
}

fn udp_echo(client: &NetnsThread, to: SocketAddr) -> bool {
    let sock = client
        .run(move || {
            let any: IpAddr = if to.is_ipv4() {
                "0.0.0.0".parse().unwrap()
            } else {
                "::".parse().unwrap()
            };
            UdpSocket::bind((any, 0))
        })
        .unwrap()
        .unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    sock.send_to(b"ping", to).unwrap();
    let mut buf = [0u8; 4];
    matches!(sock.recv_from(&mut buf), Ok((4, _)))
}

fn ping(from: &NetnsThread, to: IpAddr) -> bool {
    from.run(move || icmp_echo(to, 0x4242, TIMEOUT))
        .unwrap()
        .unwrap()
}

fn apply(host: &NetnsThread, snapshot: &Snapshot, mode: LoweringMode) -> ApplyMode {
    let bindings = vec![
        Binding::new("vc", wl("e2e", "client")),
        Binding::new("vs", wl("e2e", "server")),
    ];
    let opts = LowerOptions {
        mode,
        ..LowerOptions::default()
    };
    let ruleset = lower(snapshot, &bindings, &opts).unwrap().ruleset;
    host.run(move || {
        thread_local! {
            static APPLIER: std::cell::RefCell<Option<Applier>> = const { std::cell::RefCell::new(None) };
        }
        APPLIER.with(|a| {
            let mut a = a.borrow_mut();
            let applier = a.get_or_insert_with(|| Applier::open().unwrap());
            applier.apply(&ruleset).unwrap().mode
        })
    })
    .unwrap()
}

fn run_scenario(mode: LoweringMode) {
    let t = topology();
    let servers = Servers::start(&t.server);
    let s4: IpAddr = "10.77.2.2".parse().unwrap();
    let s6: IpAddr = "fd77:2::2".parse().unwrap();
    let c4: IpAddr = "10.77.1.2".parse().unwrap();

    // Without a ruleset everything flows (the servers and routing work); the first attempts may
    // wait for neighbour resolution.
    for s in [s4, s6] {
        let ok = (0..5).any(|_| tcp_echo(&t.client, SocketAddr::new(s, 9090)).is_some());
        assert!(ok, "baseline TCP to {s}");
        assert!(
            udp_echo(&t.client, SocketAddr::new(s, 5454)),
            "baseline UDP to {s}"
        );
        assert!(ping(&t.client, s), "baseline ping {s}");
    }

    assert_eq!(apply(&t.host, &policy(true), mode), ApplyMode::Replace);
    for s in [s4, s6] {
        let web = tcp_echo(&t.client, SocketAddr::new(s, 8080));
        assert!(
            web.is_some(),
            "{mode:?}: TCP 8080 to {s} is allowed both ways"
        );
        assert!(
            tcp_echo(&t.client, SocketAddr::new(s, 9090)).is_none(),
            "{mode:?}: TCP 9090 to {s} is denied by the server's ingress"
        );
        assert!(
            udp_echo(&t.client, SocketAddr::new(s, 5353)),
            "{mode:?}: UDP 5353 to {s} and its reply"
        );
        assert!(
            !udp_echo(&t.client, SocketAddr::new(s, 5454)),
            "{mode:?}: UDP 5454 to {s} is denied"
        );
        assert!(ping(&t.client, s), "{mode:?}: ping {s} and its reply");
    }
    assert!(
        !ping(&t.server, c4),
        "{mode:?}: the server may not open anything (its egress)"
    );

    // Keep a connection open across a policy change that closes port 8080 for new ones.
    let open = tcp_echo(&t.client, SocketAddr::new(s4, 8080)).expect("connection before update");
    assert_eq!(apply(&t.host, &policy(false), mode), ApplyMode::Update);
    assert!(
        still_echoes(&open),
        "{mode:?}: the established connection continues (conntrack)"
    );
    assert!(
        tcp_echo(&t.client, SocketAddr::new(s4, 8080)).is_none(),
        "{mode:?}: new connections to 8080 are denied after the update"
    );
    assert!(
        udp_echo(&t.client, SocketAddr::new(s4, 5353)),
        "{mode:?}: unchanged rules still apply"
    );
    drop(open);
    drop(servers);
}

#[test]
fn real_traffic_through_the_dataplane_table() {
    if !kernel_tests_enabled("real_traffic_through_the_dataplane_table") {
        return;
    }
    for mode in [
        LoweringMode::PerRule,
        LoweringMode::DecisionTree,
        LoweringMode::Classifier,
    ] {
        run_scenario(mode);
    }
}
