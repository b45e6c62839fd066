"""Stronger check than the 192-token test: key = tokens since the start of the last state line
(or since the first agent token), which collide often across trajectories. Same key -> same action?"""
import toolenv, numpy as np, sys
from toolenv import vocab
from toolenv.trajectory import Role, AGENT_ROLES
t = toolenv.get_task('code_tracing')
dec = {}; conflicts = 0; checked = 0; reuse = 0
for L in range(1, 11):
    for idx in range(300):
        tr = t.oracle(t.problem('train', L, idx, 1))
        toks = tr.tokens.tolist(); roles = tr.roles.tolist()
        start = next(i for i, r in enumerate(roles) if r != Role.PROMPT)
        last_state = start; cur_state_start = None
        for i, (tok, r) in enumerate(zip(toks, roles)):
            if r == Role.THOUGHT and cur_state_start is None:
                cur_state_start = i
            if r in AGENT_ROLES:
                key = tuple(toks[last_state:i])
                checked += 1
                if key in dec:
                    reuse += 1
                    if dec[key] != tok:
                        conflicts += 1
                        if conflicts < 4: print('CONFLICT', repr(vocab.decode(list(key))[-120:]), vocab.token_name(dec[key]), vocab.token_name(tok))
                else:
                    dec[key] = tok
            if r == Role.THOUGHT and vocab.token_name(tok) == '\n':
                last_state = cur_state_start - 2; cur_state_start = None
print(f'agent decisions checked {checked}, key seen before {reuse}, conflicts {conflicts}, distinct keys {len(dec)}')
