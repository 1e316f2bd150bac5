import json, numpy as np
r = json.load(open('results/lom-ferrite-pearlite/experiment_adabn/synthetic.json'))
truth = [23.8, 23.8, 57.2, 57.2]
print("| input | BatchNorm statistics | S1 / S2 pearlite % (truth 23.8) | S3 / S4 pearlite % (truth 57.2) | pixel accuracy % |")
print("|---|---|---|---|---|")
for s in ["syn", "syn_relit", "syn_dark"]:
    for mode in ["none", "all", "encoder", "stem"]:
        rows = [v for k, v in r.items() if k.split("|")[1:] == [s, mode]]
        a = np.array(rows)  # ck, image, (frac, acc)
        lo = a[:, :2, 0].ravel(); hi = a[:, 2:, 0].ravel(); acc = a[:, :, 1].mean(1)
        print(f"| {s} | {mode} | {lo.mean():.1f} (range {lo.min():.1f}–{lo.max():.1f}) | {hi.mean():.1f} ({hi.min():.1f}–{hi.max():.1f}) | {acc.mean():.1f} ({acc.min():.1f}–{acc.max():.1f}) |")
