import json,sys,collections
d=json.load(open(sys.argv[1]))
ev=[e for e in d if e.get('cat')=='Node' and e['name'].endswith('_kernel_time')]
runs=[e for e in d if e.get('name')=='model_run']
n=len(runs); print('runs',n)
byop=collections.Counter(); byname=collections.Counter()
for e in ev:
    byop[e['args']['op_name']]+=e['dur']; byname[e['name'][:-12]]+=e['dur']
tot=sum(byop.values())
print('total per run ms', tot/n/1000)
for k,v in byop.most_common(20): print(f'{k:25s} {v/n/1000:8.2f} ms {100*v/tot:5.1f}%')
print()
for k,v in byname.most_common(40): print(f'{k:70s} {v/n/1000:8.2f} ms {100*v/tot:5.1f}%')
