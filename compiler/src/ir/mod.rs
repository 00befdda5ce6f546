//! The IR: per endpoint hook, a flat first-match [`Program`] of [`IrRule`]s whose matches refer to
//! shared [`IpSet`]s by ID, each rule carrying its [`Origin`] (DESIGN §2).

mod eval;
mod ipset;
mod matches;
mod origin;
mod program;

pub use eval::evaluate;
pub use ipset::{
    AddrPort, IpSet, IpSetId, IpSetKind, IpSetMembers, IpSetSource, IpSets, SetLookup,
};
pub use matches::{IcmpMatch, Match, PortMatch, SideMatch};
pub use origin::Origin;
pub use program::{Hook, IrAction, IrRule, Program, ProgramError, ProgramTarget};
