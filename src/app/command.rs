//! Commands and their decisions: the pure step of every write.
//!
//! A [`Command`] is a request parsed into typed values ([`Uscc`](crate::core::domain::Uscc),
//! quantities, codes, ids as given); parsing looks at nothing but the request. [`decide`]
//! turns a command, for one [`Caller`] and against the world as it is (a [`Ctx`]), into a
//! [`Decision`] — the one event to record, or none, and the answer — or a [`Rejection`].
//!
//! Deciding reads the [`Ctx`] and nothing else: no storage, no clock, no randomness (a
//! command that needs a random value, e.g. a key's token, carries it). The same world,
//! caller and command give the same decision. Every state-dependent check is made here —
//! resolving the ids a command names, whether the caller may read them, act for a party,
//! hold a role — through the [`policy`](super::policy) module and against the same world
//! the event is decided on, so a grant or a membership revoked meanwhile is seen.
//!
//! [`App::execute`](super::App::execute) runs [`decide`] under the writer lock, appends
//! the event and waits until it is durable.

use super::{Caller, Ctx};
use crate::core::domain::NodeId;
use crate::core::event::EventBody;
use crate::error::AppError;

/// Why a command is refused. Deciding answers only the caller's errors — an unknown or
/// hidden id (404), a refused access (403), a taken natural key (409), a broken rule
/// (422) — or an internal inconsistency of the world (500); it has no storage to fail.
pub type Rejection = AppError;

/// What a command decided: the event to record (`None`: nothing changes, e.g. the state
/// asked for holds already), the party the caller acts for (recorded as the event's actor
/// when the caller is the operator) and the answer.
#[derive(Debug)]
pub struct Decision<T> {
    pub event: Option<EventBody>,
    pub acting_for: Option<NodeId>,
    pub answer: T,
}

impl<T> Decision<T> {
    /// Records `event`.
    pub fn record(event: EventBody, acting_for: Option<NodeId>, answer: T) -> Decision<T> {
        Decision {
            event: Some(event),
            acting_for,
            answer,
        }
    }

    /// Records nothing and answers `answer`.
    pub fn nothing(answer: T) -> Decision<T> {
        Decision {
            event: None,
            acting_for: None,
            answer,
        }
    }
}

/// A parsed write request.
pub trait Command {
    /// What the caller is answered.
    type Answer: serde::Serialize;

    /// Decides the command against `cx` for `caller` (see the module docs). Called under
    /// the writer lock, and again if another node appended first.
    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<Self::Answer>, Rejection>;

    /// The answer a retry with the same `Idempotency-Key` gets, recorded with the event:
    /// the answer's JSON, or `None` for an answer not to be shown twice (a new key's
    /// token), which a retry is told with 409.
    fn replay(&self, answer: &Self::Answer) -> Result<Option<Vec<u8>>, Rejection> {
        serde_json::to_vec(answer)
            .map(Some)
            .map_err(|e| AppError::Internal(format!("answer: {e}")))
    }
}

/// Decides `cmd` for `caller` against `cx`: a read-only key decides nothing; otherwise the
/// command's own rules. Pure (see the module docs).
pub fn decide<C: Command + ?Sized>(
    cx: &Ctx<'_>,
    caller: &Caller,
    cmd: &C,
) -> Result<Decision<C::Answer>, Rejection> {
    cx.policy()
        .check_write(caller)
        .map_err(|d| d.into_error(|| AppError::Forbidden("this key is read-only".into())))?;
    cmd.decide(cx, caller)
}

/// In debug builds (every test), [`App::execute`](super::App::execute) decides each command
/// twice over the same [`Ctx`] and checks here that both decisions are the same — event,
/// actor and answer, or the same rejection: deciding is a function of the world, the caller
/// and the command.
#[cfg(debug_assertions)]
pub(super) fn assert_deterministic<C: Command + ?Sized>(
    first: &Result<Decision<C::Answer>, Rejection>,
    again: &Result<Decision<C::Answer>, Rejection>,
) {
    let show = |d: &Result<Decision<C::Answer>, Rejection>| match d {
        Ok(d) => format!(
            "{:?} for {:?}: {}",
            d.event,
            d.acting_for,
            serde_json::to_string(&d.answer).unwrap_or_else(|e| format!("(answer: {e})"))
        ),
        Err(e) => format!("rejected: {e:?}"),
    };
    let (a, b) = (show(first), show(again));
    assert!(a == b, "one command decided two ways:\n{a}\n{b}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command answering a number (only its type is used here).
    struct Count;

    impl Command for Count {
        type Answer = u32;
        fn decide(&self, _: &Ctx<'_>, _: &Caller) -> Result<Decision<u32>, Rejection> {
            Ok(Decision::nothing(1))
        }
    }

    #[test]
    fn the_same_decision_twice_passes() {
        assert_deterministic::<Count>(&Ok(Decision::nothing(1)), &Ok(Decision::nothing(1)));
        let no = || Err(AppError::rule("x", "no"));
        assert_deterministic::<Count>(&no(), &no());
    }

    #[test]
    #[should_panic(expected = "one command decided two ways")]
    fn two_answers_are_caught() {
        assert_deterministic::<Count>(&Ok(Decision::nothing(1)), &Ok(Decision::nothing(2)));
    }

    #[test]
    #[should_panic(expected = "one command decided two ways")]
    fn an_answer_and_a_rejection_are_caught() {
        assert_deterministic::<Count>(&Ok(Decision::nothing(1)), &Err(AppError::rule("x", "no")));
    }
}
