import ort from 'onnxruntime-node';
import { createRng } from '../../../../../dist/src/util/rng.js';
const rng = createRng(28);
const [file, W='640', H='480', threads='2', prof='0'] = process.argv.slice(2);
const w=+W,h=+H;
const opts={intraOpNumThreads:+threads, interOpNumThreads:1, executionMode:'sequential', graphOptimizationLevel:(process.env.OPT||'all'), enableProfiling: prof==='1', profileFilePrefix: 'ortprof', extra:{session:{intra_op:{allow_spinning:'0'}}}}; if (process.env.DUMP) opts.optimizedModelFilePath=process.env.DUMP; if (process.env.FIX) opts.freeDimensionOverrides={batch:1,height:h,width:w};
const s = await ort.InferenceSession.create(file, opts);
console.log(s.inputNames, s.outputNames);
const feeds={};
for (const name of s.inputNames) {
  let shape;
  if (name==='frames') shape=[1,5,3,h,w]; else if (name==='motion') shape=[1,1,h,w]; else if (name==='pooled'||name==='priors') shape=[1,15,h/2,w/2]; else shape=[1,5];
  const n=shape.reduce((a,b)=>a*b,1); const d=new Float32Array(n); for(let i=0;i<n;i++) d[i]=rng();
  feeds[name]=new ort.Tensor('float32',d,shape);
}
let ticks=0; const iv=setInterval(()=>ticks++,1);
const times=[];
for (let i=0;i<12;i++){ const t=performance.now(); ticks=0; await s.run(feeds); times.push(performance.now()-t); }
clearInterval(iv);
console.log('ticks during last run', ticks);
times.sort((a,b)=>a-b); console.log('median ms', times[6].toFixed(1), times.map(x=>x.toFixed(0)).join(' '));
if (prof==='1') { const f = s.endProfiling(); console.log('profile', f); }
