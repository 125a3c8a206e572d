"""Research: a prior for the regression (ridge towards theta0 fitted on a training sample, stage_cache.py --set train --z1 mode) vs none. CACHE=<cache with train, val, kodak> python prior.py"""
import run, numpy as np, json, sys
from pathlib import Path
B = dict(do_mix=0, temp_mode=2, nband=1, lam=30.0)
F30 = [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,29,30,31,32,33,34,35,36,37]
cfg = dict(B, feats=F30)   # stats under the adaptive pipeline (ares features as at coding time)
import os
run.CACHE = Path(os.environ.get('CACHE', '/tmp/l3c-cache'))
res = run.run_set('train', cfg, want_stats=True, procs=1)
NF = run.NF
S = sum(r['stats'] for r in res)  # (10, 3, 1, NF*NF+NF)
theta0 = np.zeros((10, 3, 1, NF))
idx = np.array(F30)
for s in range(10):
    for c in range(3):
        A = S[s, c, 0, :NF*NF].reshape(NF, NF)[np.ix_(idx, idx)]; b = S[s, c, 0, NF*NF:][idx]
        th = np.linalg.solve(A + 30.0 * np.eye(len(idx)), b)
        theta0[s, c, 0, idx] = th
np.save(run.CACHE / 'theta0.npy', theta0)
print('train images', len(res))
for lam in (30.0, 100.0, 300.0):
    for sname in ('val', 'kodak'):
        r = run.run_set(sname, dict(B, feats=F30, lam=lam), theta0=theta0.reshape(-1), procs=2)
        run.summarize(r, f'{sname} prior lam={lam}')
for sname in ('val', 'kodak'):
    r = run.run_set(sname, dict(B, feats=F30), procs=2)
    run.summarize(r, f'{sname} no prior')
