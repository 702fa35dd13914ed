/* Running a short command to completion and capturing what it prints. */
#pragma once

#include "shared/time-util.h"

/**
 * command_run_capture() - run a command with a deadline and return its standard output.
 * @argv: the program (looked up in $PATH of @env) and its arguments
 * @env: "K=V" environment of the command
 * @timeout: how long the command may run
 * @ret_stdout: set to its standard output, NUL-terminated, when it exited with status 0
 * @userdata: unused (the signature is that of ComposeCommandRunner, so it can be passed as one)
 *
 * Standard input is /dev/null and standard error is inherited. The command runs in a process group of its
 * own, which is killed when the deadline passes or the output exceeds 64 KiB. This blocks the caller until
 * the command ends (at most @timeout): call it only where blocking delays nothing else.
 *
 * Return: 0, -ETIMEDOUT, -EPROTO when the command failed (non-zero exit status or a signal), -E2BIG for
 * too much output, other -errno.
 */
int command_run_capture(char * const *argv, char * const *env, usec_t timeout, char **ret_stdout, void *userdata);
