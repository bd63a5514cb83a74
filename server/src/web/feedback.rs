//! The feedback form, posted with or without JavaScript.

use super::{AppState, render_with, retry_after};
use app::feedback::{FeedbackField, FeedbackForm, check_feedback};
use app::messages::Msg;
use app::pages::PostedFeedback;
use app::paths;
use app::services::{Feedback, FeedbackService, ServiceError};
use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::provide_context;

/// The feedback form, posted (with or without JavaScript). A message that
/// holds something like a card number is refused and not shown back.
pub async fn feedback_post(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let form = Form::<FeedbackForm>::from_request(Request::from_parts(parts.clone(), body), &())
        .await
        .map(|Form(form)| form)
        .unwrap_or_default();
    let (errors, notice, status) = match check_feedback(&form) {
        Ok(checked) => {
            let feedback = Feedback {
                topic: checked.topic,
                message: checked.message,
                reply_email: checked.reply_email,
                receipt_number: checked.receipt_number,
                language: app::lang::tag(app::lang::resolve(&parts)).into(),
                client: parts
                    .extensions
                    .get::<app::services::Client>()
                    .map(|c| c.address.clone())
                    .unwrap_or_default(),
            };
            match state.feedback.send_feedback(feedback).await {
                Ok(()) => return Redirect::to(paths::FEEDBACK_SENT).into_response(),
                Err(ServiceError::RateLimited) => (
                    Vec::new(),
                    Some(Msg::FeedbackRateLimited),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                Err(ServiceError::Busy) => (
                    Vec::new(),
                    Some(Msg::BusyTryAgain),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
                Err(_) => (
                    Vec::new(),
                    Some(Msg::InternalError),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
            }
        }
        Err(errors) => (errors, None, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let mut values = form;
    if errors.contains(&(FeedbackField::Message, Msg::FeedbackErrorCardNumber)) {
        values.message.clear();
    }
    let posted = PostedFeedback {
        values,
        errors,
        notice,
    };
    let mut response = render_with(&state, parts, move || provide_context(posted.clone())).await;
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        retry_after(&mut response);
    }
    response
}
