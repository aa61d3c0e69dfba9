#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_api (tests/fuzz/corpus/) from named op
sequences, reading the opcode numbers from ops[] in fuzz_api.c, so that the
seeds follow the table when ops are added.  Run from the repository root."""
import hashlib, os, re

src = open('tests/fuzz/fuzz_api.c').read()
table = re.search(r'static const op_fn ops\[\] = \{(.*?)\};', src, re.S).group(1)
table = re.sub(r'/\*.*?\*/', '', table, flags=re.S)
names = [n.strip() for n in table.replace('\n', ' ').split(',') if n.strip()]
OP = {}
for i, n in enumerate(names):
    OP.setdefault(n[3:], i)  # first index of each op

def op(name, *args):
    return [OP[name]] + list(args)

# G_* kinds, in enum gkind order
G = dict(SEND=0, RECV=1, SELECT=2, SLEEP=3, MUTEX=4, RWREAD=5, RWWRITE=6, COND=7,
         ONCE=8, FDREAD=9, FDWRITE=10, FDWAIT=11, TIMERWAIT=12, YIELD=13, SPAWN=14)

def go(kind, count=3, chan=0, *rest):
    return op('go', G[kind], count, chan, *rest)

chans = op('chan_make', 0, 0) + op('chan_make', 1, 1) + op('chan_make', 2, 3)
pipes = op('fd_open', 0) + op('fd_open', 1)
seeds = {
    'empty': [],
    'chan-pingpong': chans + go('SEND', 7, 0) + go('RECV', 7, 0) + op('sleep', 4),
    'chan-buffered': chans + go('SEND', 7, 2) + go('SEND', 7, 2) + go('RECV', 7, 2) + op('chan_tryrecv', 2),
    'chan-close-wakes': chans + go('RECV', 7, 0) + go('SEND', 7, 1) + op('yield') + op('chan_close', 0) + op('chan_close', 1) + op('chan_close', 0),
    'chan-try': chans + op('chan_trysend', 1) + op('chan_trysend', 1) + op('chan_tryrecv', 1) + op('chan_tryrecv', 1) + op('chan_close', 1) + op('chan_trysend', 1) + op('chan_tryrecv', 1),
    'chan-refs': chans + op('chan_retain', 0) + op('chan_retain', 0) + op('chan_release', 0) + go('RECV', 3, 0) + op('chan_release', 0),
    'select-main': chans + go('SEND', 7, 0) + op('select', 3, 0, 1 | 16, 4, 5) + op('select', 0, 5) + op('select', 2, 2, 18, 0),
    'select-go-forever': chans + go('SELECT', 4, 0, 3, 0, 16, 1, 7) + go('SELECT', 4, 0, 2, 0, 17, 8) + op('sleep', 5),
    'select-go-deadlines': chans + go('SELECT', 4, 0, 1, 4, 3) + go('SELECT', 2, 0, 2, 1, 2, 2) + go('SELECT', 2, 0, 1, 0, 9),
    'timer-oneshot': op('timer_new', 0, 4, 0, 0) + op('sleep', 5) + op('timer_tryrecv', 0) + op('timer_stop', 0),
    'timer-ticker': op('timer_new', 1, 4, 0, 3) + go('TIMERWAIT', 5, 0, 1, 3) + op('sleep', 6) + op('timer_reset', 1, 5) + op('timer_stop', 1) + op('timer_free', 1),
    'timer-func': chans + op('timer_new', 2, 3, 1) + op('timer_new', 3, 2, 1) + op('sleep', 5) + op('timer_reset', 2, 4) + op('timer_free', 3),
    'timer-edges': op('timer_new', 0, 0, 0, 0) + op('timer_new', 1, 10, 0, 0) + op('timer_new', 2, 9, 0, 5) + op('timer_reset', 1, 0) + op('timer_reset', 0, 10) + op('timer_stop', 2),
    'timer-ticker-max': op('timer_new', 0, 2, 0, 6) + op('sleep', 5) + op('timer_tryrecv', 0) + op('timer_free', 0),
    'sleeps': op('sleep', 0) + op('sleep', 1) + op('sleep', 2) + op('sleep', 3) + go('SLEEP', 1, 0, 6) + go('SLEEP', 1, 0, 0),
    'mutex': go('MUTEX', 5) + go('MUTEX', 5) + go('MUTEX', 5) + op('mutex', 0) + op('mutex', 1) + op('mutex', 0),
    'mutex-starving-syscall': go('MUTEX', 7) + go('MUTEX', 7) + go('MUTEX', 7) + op('sleep', 5) + op('mutex', 2) + op('mutex', 2),
    'rwmutex': go('RWREAD', 5) + go('RWWRITE', 5) + go('RWREAD', 5) + op('rwmutex', 0) + op('rwmutex', 1),
    'cond': go('COND') + go('COND') + go('COND') + op('yield') + op('cond', 0) + op('cond', 1),
    'once': go('ONCE') + go('ONCE') + op('once') + go('ONCE'),
    'waitgroup': op('wg_round', 3, 2, 4, 5, 0, 6, 3) + op('wg_round', 1, 1, 0, 0) + op('wg_round', 0, 2, 1, 1),
    'pipe-io': pipes + go('FDREAD', 7, 0, 0, 200) + go('FDWRITE', 1, 0, 1, 3) + op('sleep', 5) + op('fd_io', 1, 10, 20, 0) + op('fd_io', 0, 10, 20, 1),
    'pipe-full': pipes + go('FDWRITE', 1, 0, 1, 4) + op('sleep', 5) + op('fd_io', 0, 20, 255, 1) + op('fd_close', 0),
    'socketpair-io': op('fd_open', 1) + go('FDWRITE', 1, 0, 1, 4) + go('FDREAD', 7, 0, 0, 255) + op('sleep', 6),
    'fd-wait': pipes + go('FDWAIT', 1, 0, 0, 0, 7) + go('FDWAIT', 1, 0, 1, 1, 3) + op('fd_io', 1, 5, 1, 0) + op('fd_io', 0, 5, 1, 2),
    'fd-deadlines': pipes + go('FDREAD', 7, 0, 0, 9) + op('fd_deadline', 0, 3, 7) + op('fd_deadline', 0, 0, 1) + op('fd_deadline', 0, 8, 9) + op('sleep', 5),
    'fd-deadline-churn': pipes + go('FDREAD', 7, 0, 0, 9) + op('fd_deadline_churn', 0, 7) + op('fd_close', 0),
    'fd-close-wakes': pipes + go('FDREAD', 7, 0, 0, 9) + go('FDWAIT', 1, 0, 0, 0, 7) + op('yield') + op('fd_close', 0) + op('fd_close', 1),
    'fd-double-close': pipes + op('double_close', 0, 0) + op('double_close', 1, 1) + op('fd_open', 0),
    'foreign': chans + go('RECV', 2, 1) + op('foreign', 1) + op('foreign', 1) + op('foreign', 0),
    'procs': chans + go('SEND', 7, 0) + op('procs', 1) + go('RECV', 7, 0) + op('procs', 0) + op('stats'),
    'spawn-yield': go('SPAWN') + go('SPAWN') + go('YIELD', 7) + go('YIELD', 7) + op('stats'),
    'bad-input': sum((op('bad_input', k) for k in range(22)), []),
    'bad-address': sum((op('bad_input', 17, k) for k in range(8)), []),
    'net-pair': op('net_pair', 0) + op('net_pair', 1) + go('FDREAD', 7, 0, 0, 200) + go('FDWRITE', 1, 0, 1, 3) + op('fd_io', 2, 10, 20, 0) + op('fd_io', 3, 10, 20, 1) + op('sleep', 5) + op('fd_close', 0),
}
out = 'tests/fuzz/corpus'
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))
for name, body in seeds.items():
    for procs in (0, 1):
        data = bytes([procs] + [b & 0xff for b in body])
        open(os.path.join(out, f'{name}-p{procs + 1}'), 'wb').write(data)
print(f'{2 * len(seeds)} seeds in {out}')
