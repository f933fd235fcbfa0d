/* A crash in a test that runs the engine's threads ends the test at once. */
#ifndef T_FATAL_SIGNAL_H
#define T_FATAL_SIGNAL_H

/* From here to the end of the current cmocka test (cmocka installs its own handlers before each
 * test, so call it inside one), a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) prints
 * "FATAL: signal N" and exits with 128 + N. cmocka's handler allocates: when the fault struck one
 * of the engine's worker threads inside malloc (a bad write's usual end), it waited forever on
 * malloc's lock, and the test hung until its timeout. This one only writes and exits. */
void t_exit_on_fatal_signal(void);

#endif
