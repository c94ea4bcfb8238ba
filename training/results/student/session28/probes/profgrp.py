import json,sys,collections
d=json.load(open(sys.argv[1]))
ev=[e for e in d if e.get('cat')=='Node' and e['name'].endswith('_kernel_time')]
n=len([e for e in d if e.get('name')=='model_run'])
g=collections.Counter(); tot=0
for e in ev:
    nm=e['name'][:-12]
    parts=nm.strip('/').split('/')
    key=parts[0] if len(parts)>1 else ('TOP:'+e['args']['op_name'] if not nm.startswith('Reorder') else 'Reorder')
    if key.startswith('encoders') or key.startswith('decoders'): key=key
    g[key]+=e['dur']; tot+=e['dur']
for k,v in sorted(g.items(), key=lambda x:-x[1]): print(f'{k:40s} {v/n/1000:8.2f} ms {100*v/tot:5.1f}%')
