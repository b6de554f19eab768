//! `<Enqueue>`: put the caller in a queue.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::HttpMethod;
use crate::nouns::check_queue_name;
use crate::print::Tag;
use crate::xml::Element;

/// `<Task>` inside `<Enqueue>`: a TaskRouter task to create for the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Task {
    /// The task attributes, a JSON object (the element's text).
    pub attributes: String,
    /// `priority`.
    pub priority: Option<u32>,
    /// `timeout`: seconds before the task is cancelled.
    pub timeout: Option<u32>,
}

/// `<Enqueue>`: hold the caller in queue `name` until dequeued or it leaves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enqueue {
    /// The queue name (the element's text); may be empty with `workflow_sid`,
    /// and must be when `task` is set (the element then holds `<Task>` instead).
    pub name: String,
    /// `action`: requested with `QueueResult` when the caller leaves the queue.
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// `waitUrl`: TwiML played while waiting (Play, Say, Pause, Hangup, Redirect,
    /// Leave, Gather).
    pub wait_url: Option<String>,
    /// `waitUrlMethod`; default POST.
    pub wait_url_method: HttpMethod,
    /// `workflowSid`: hand the caller to TaskRouter.
    pub workflow_sid: Option<String>,
    /// `maxQueueSize`.
    pub max_queue_size: Option<u32>,
    /// The nested `<Task>`, with `workflow_sid`.
    pub task: Option<Task>,
}

impl Enqueue {
    /// An `<Enqueue>` into `name` with Twilio's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Enqueue {
            name: name.into(),
            ..Enqueue::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let mut enqueue = Enqueue {
            name: el.raw_text().trim().to_owned(),
            action: attrs.string("action"),
            // 14201 "Enqueue: Invalid method value".
            method: attrs.method("method", 14201)?,
            wait_url: attrs.string("waitUrl"),
            // 14206 "Enqueue: The waitUrlMethod value is invalid".
            wait_url_method: attrs.method("waitUrlMethod", 14206)?,
            workflow_sid: attrs.string("workflowSid"),
            max_queue_size: attrs.positive_u32("maxQueueSize", SCHEMA)?,
            task: None,
        };
        attrs.finish()?;
        for child in el.elements() {
            if child.name != "Task" || enqueue.task.is_some() {
                return Err(Error::InvalidNesting {
                    parent: el.name.clone(),
                    child: child.name.clone(),
                });
            }
            enqueue.task = Some(parse_task(child)?);
        }
        if enqueue.task.is_some() && !enqueue.name.is_empty() {
            return Err(Error::UnexpectedText {
                element: el.name.clone(),
                text: enqueue.name,
            });
        }
        // A TaskRouter workflow picks the queue itself, so the name may be absent.
        if enqueue.workflow_sid.is_none() || !enqueue.name.is_empty() {
            // 14204 "Enqueue: Queue name too short", 14205 "… too long".
            check_queue_name(el, &enqueue.name, 14204, 14205)?;
        }
        Ok(enqueue)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Enqueue");
        tag.opt("action", self.action.as_deref())
            .method("method", self.method)
            .opt("waitUrl", self.wait_url.as_deref())
            .method("waitUrlMethod", self.wait_url_method)
            .opt("workflowSid", self.workflow_sid.as_deref())
            .opt_u32("maxQueueSize", self.max_queue_size);
        match &self.task {
            Some(task) => tag.body(|out| {
                let mut t = Tag::open(out, "Task");
                t.opt_u32("priority", task.priority)
                    .opt_u32("timeout", task.timeout);
                t.text(&task.attributes);
            }),
            None => tag.text(&self.name),
        }
    }
}

fn parse_task(el: &Element) -> Result<Task, Error> {
    let mut attrs = Attrs::new(el);
    let task = Task {
        attributes: el.text_only()?,
        priority: attrs.u32("priority", SCHEMA)?,
        timeout: attrs.u32("timeout", SCHEMA)?,
    };
    attrs.finish()?;
    Ok(task)
}
