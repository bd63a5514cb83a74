//! Fault injection: the faults a test card or a random draw makes the
//! transport act out, the plan that says how often, and the seeded random
//! source behind the draws (seeded so that a failing load test can be run
//! again with the same faults in the same places).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use super::Engine;

/// How the transport misbehaves after the engine has decided an authorisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Charged; the answer is held for [`FaultPlan::timeout_ms`], past the
    /// client's timeout.
    TimeoutAfterCharge,
    /// Charged; the answer is HTTP 500.
    ServerErrorAfterCharge,
    /// Charged; the connection breaks in the middle of the answer.
    DropAfterCharge,
    /// Nothing charged and no order kept; the answer is HTTP 500.
    ServerErrorBeforeCharge,
    /// Charged, but the charge is recorded only [`FaultPlan::late_charge_ms`]
    /// after the request arrived (until then the order is nowhere to be
    /// seen); the answer is held as for [`Fault::TimeoutAfterCharge`], and
    /// never before the charge is recorded.
    LateChargeTimeout,
    /// Charged and recorded late, as [`Fault::LateChargeTimeout`]; the
    /// answer is HTTP 500 at once.
    LateChargeServerError,
}

impl Fault {
    /// Whether the card was charged (or will be, for a late charge) before
    /// the transport failed.
    pub fn charged(self) -> bool {
        !matches!(self, Self::ServerErrorBeforeCharge)
    }

    /// Whether the order stays invisible until [`FaultPlan::late_charge_ms`]
    /// after the request arrived.
    pub fn recorded_late(self) -> bool {
        matches!(self, Self::LateChargeTimeout | Self::LateChargeServerError)
    }
}

/// A fault a random draw can pick (see [`FaultPlan::kinds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultKind {
    #[serde(rename = "timeout")]
    Timeout,
    #[serde(rename = "server_error_after")]
    ServerErrorAfter,
    #[serde(rename = "drop")]
    Drop,
    #[serde(rename = "server_error_before")]
    ServerErrorBefore,
    /// The order's notification is sent twice.
    #[serde(rename = "duplicate_notification")]
    DuplicateNotification,
    /// The order's notification is sent after [`FaultPlan::late_notification_ms`].
    #[serde(rename = "late_notification")]
    LateNotification,
    /// The acquirer keeps processing after the client gave up, and records
    /// the charge [`FaultPlan::late_charge_ms`] later: [`Fault::LateChargeTimeout`].
    #[serde(rename = "late_charge")]
    LateCharge,
    /// A status query answers no-such-order while the order is still in
    /// flight: [`Fault::LateChargeServerError`].
    #[serde(rename = "in_flight_not_found")]
    InFlightNotFound,
    /// On a 3-D Secure challenge order: the approved notification reaches
    /// the merchant before the cardholder's browser comes back from the
    /// challenge page. On any other order, no fault.
    #[serde(rename = "early_notification")]
    EarlyNotification,
}

impl FaultKind {
    pub const ALL: [FaultKind; 9] = [
        Self::Timeout,
        Self::ServerErrorAfter,
        Self::Drop,
        Self::ServerErrorBefore,
        Self::DuplicateNotification,
        Self::LateNotification,
        Self::LateCharge,
        Self::InFlightNotFound,
        Self::EarlyNotification,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::ServerErrorAfter => "server_error_after",
            Self::Drop => "drop",
            Self::ServerErrorBefore => "server_error_before",
            Self::DuplicateNotification => "duplicate_notification",
            Self::LateNotification => "late_notification",
            Self::LateCharge => "late_charge",
            Self::InFlightNotFound => "in_flight_not_found",
            Self::EarlyNotification => "early_notification",
        }
    }

    pub(super) fn transport_fault(self) -> Option<Fault> {
        match self {
            Self::Timeout => Some(Fault::TimeoutAfterCharge),
            Self::ServerErrorAfter => Some(Fault::ServerErrorAfterCharge),
            Self::Drop => Some(Fault::DropAfterCharge),
            Self::ServerErrorBefore => Some(Fault::ServerErrorBeforeCharge),
            Self::LateCharge => Some(Fault::LateChargeTimeout),
            Self::InFlightNotFound => Some(Fault::LateChargeServerError),
            Self::DuplicateNotification | Self::LateNotification | Self::EarlyNotification => None,
        }
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
                format!("unknown fault kind {s:?}; known: {}", names.join(", "))
            })
    }
}

/// The faults of a run. `Default` injects none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Added to every authorisation and challenge completion.
    pub latency_ms: u64,
    /// Probability (0 to 1) that an otherwise approved authorisation without
    /// 3-D Secure, or an order that needs a 3-D Secure challenge, gets a
    /// random fault drawn from `kinds`. A challenge order heeds only
    /// `early_notification` and ignores any other draw; a plain approval
    /// ignores `early_notification`.
    pub rate: f64,
    /// What random draws pick from; empty means the four transport faults
    /// (`timeout`, `server_error_after`, `drop`, `server_error_before`).
    pub kinds: Vec<FaultKind>,
    /// How long a `timeout` fault holds the answer.
    pub timeout_ms: u64,
    /// How long a `late_notification` fault delays the notification.
    pub late_notification_ms: u64,
    /// How long after the request arrived a `late_charge` or
    /// `in_flight_not_found` order is recorded (and becomes visible).
    pub late_charge_ms: u64,
    /// How many refund calls on each order answer HTTP 503 ("temporarily
    /// unavailable", nothing refunded) before refunds on it go through.
    pub refund_failures: u32,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            rate: 0.0,
            kinds: Vec::new(),
            timeout_ms: 30_000,
            late_notification_ms: 2_000,
            late_charge_ms: 1_500,
            refund_failures: 0,
        }
    }
}

impl FaultPlan {
    /// Refuses a rate outside 0..=1 (NaN included).
    pub fn validate(&self) -> Result<(), String> {
        if (0.0..=1.0).contains(&self.rate) {
            Ok(())
        } else {
            Err("rate must be between 0 and 1".to_owned())
        }
    }

    fn draw_kinds(&self) -> &[FaultKind] {
        const TRANSPORT: [FaultKind; 4] = [
            FaultKind::Timeout,
            FaultKind::ServerErrorAfter,
            FaultKind::Drop,
            FaultKind::ServerErrorBefore,
        ];
        if self.kinds.is_empty() {
            &TRANSPORT
        } else {
            &self.kinds
        }
    }
}

/// Clamps a rate outside 0..=1 instead of refusing it: [`Engine::new`] and
/// [`Engine::set_faults`] cannot fail, and [`FaultPlan::validate`] is where
/// a caller that can answer with an error refuses one.
fn sanitised(mut plan: FaultPlan) -> FaultPlan {
    if !(0.0..=1.0).contains(&plan.rate) {
        plan.rate = if plan.rate > 1.0 { 1.0 } else { 0.0 };
    }
    plan
}

/// A random number from the OS (through `uuid`, which the crate has anyway).
pub(super) fn random_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// splitmix64: small, fast and good enough to draw faults reproducibly.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// The plan and the random sequence, behind one lock so that a draw reads
/// the rate and advances the sequence in one step. Replacing the plan keeps
/// the sequence: a seeded run stays reproducible across plan changes.
pub(super) struct FaultState {
    pub(super) plan: FaultPlan,
    rng: SplitMix64,
    /// Random draws that applied to their order, by kind, for a fault run's
    /// report.
    drawn: HashMap<FaultKind, usize>,
}

impl FaultState {
    pub(super) fn new(plan: FaultPlan, seed: Option<u64>) -> Self {
        Self {
            plan: sanitised(plan),
            rng: SplitMix64(seed.unwrap_or_else(random_u64)),
            drawn: HashMap::new(),
        }
    }

    /// The fault for an otherwise plain approval, if the plan's rate picks one.
    pub(super) fn draw(&mut self) -> Option<FaultKind> {
        if self.plan.rate > 0.0 && self.rng.next_f64() < self.plan.rate {
            let kinds = self.plan.draw_kinds();
            Some(kinds[self.rng.below(kinds.len())])
        } else {
            None
        }
    }

    /// Counts a drawn kind that applies to its order.
    pub(super) fn applied(&mut self, kind: FaultKind) {
        *self.drawn.entry(kind).or_default() += 1;
    }
}

impl Engine {
    /// Replaces the fault plan; the random sequence continues.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.fault_state().plan = sanitised(plan);
    }

    pub fn faults(&self) -> FaultPlan {
        self.fault_state().plan.clone()
    }

    /// How many orders each kind of fault was drawn for at random, counting
    /// only draws that applied (not `early_notification` on a plain
    /// approval, nor another kind on a challenge order) and not the test
    /// cards' own faults. Kept across [`Engine::set_faults`].
    pub fn drawn_faults(&self) -> HashMap<FaultKind, usize> {
        self.fault_state().drawn.clone()
    }

    /// How long the transport holds an answer for [`Fault::TimeoutAfterCharge`].
    pub fn fault_hold(&self) -> Duration {
        Duration::from_millis(self.fault_state().plan.timeout_ms)
    }

    /// How long the transport holds an answer for [`Fault::LateChargeTimeout`]:
    /// past the client's timeout, as [`Engine::fault_hold`], and never less
    /// than the time the charge takes to be recorded, so that a client
    /// patient enough to get the answer finds the order it names.
    pub fn late_charge_hold(&self) -> Duration {
        let plan = &self.fault_state().plan;
        Duration::from_millis(plan.timeout_ms.max(plan.late_charge_ms))
    }

    pub(super) async fn latency(&self) {
        let latency = self.fault_state().plan.latency_ms;
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_deterministic_and_spread() {
        let mut a = SplitMix64(7);
        let mut b = SplitMix64(7);
        let xs: Vec<f64> = (0..1000).map(|_| a.next_f64()).collect();
        let ys: Vec<f64> = (0..1000).map(|_| b.next_f64()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let below_half = xs.iter().filter(|x| **x < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
    }

    #[test]
    fn fault_kinds_parse_by_name() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).expect("json"),
                format!("\"{}\"", kind.name())
            );
        }
        assert!("explode".parse::<FaultKind>().is_err());
    }
}
