//! Event-stream signing with a [`Signer`]'s key cache (feature
//! `eventstream`): see [`Signer::event_signer`].

use crate::core::credentials::Credentials;
use crate::core::eventstream::codec::EventStreamError;
use crate::core::eventstream::EventSigner;
use crate::core::signature::Signature;
use crate::core::time::SigningTime;

use super::Signer;

/// Signs the messages of one event stream with a signer's cached keys.
/// Made by [`Signer::event_signer`].
#[derive(Clone, Debug)]
pub struct EventStreamSigner {
    signer: Signer,
    credentials: Credentials,
    chain: EventSigner,
}

impl EventStreamSigner {
    pub(super) fn new(signer: Signer, credentials: Credentials, seed: Signature) -> Self {
        Self {
            signer,
            credentials,
            chain: EventSigner::new(seed),
        }
    }

    /// Appends the signed envelope of `message` (an encoded event-stream
    /// message) to `out`, signed at `time`.
    ///
    /// # Errors
    ///
    /// [`EventStreamError::BadLength`] for an envelope over 16 MiB.
    pub fn sign_message(
        &mut self,
        message: &[u8],
        time: SigningTime,
        out: &mut Vec<u8>,
    ) -> Result<Signature, EventStreamError> {
        let scope = self.signer.scope(&time);
        let chain = &mut self.chain;
        self.signer.keys.with_key(&self.credentials, &scope, |key| {
            chain.sign(key, &time, &scope, message, out)
        })
    }

    /// Appends the signed empty envelope that ends the stream. Consumes
    /// the signer: nothing is signed after the end.
    ///
    /// # Errors
    ///
    /// None in practice (an empty envelope is 83 bytes); the type is
    /// [`sign_message`](Self::sign_message)'s.
    pub fn finish(
        mut self,
        time: SigningTime,
        out: &mut Vec<u8>,
    ) -> Result<Signature, EventStreamError> {
        self.sign_message(&[], time, out)
    }
}
