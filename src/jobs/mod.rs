//! Background jobs: worker processes, run directories, `job.json` state machine, queue.
