"""The HTML report's inline style sheet and script (no data in them: the page carries it).

The script builds no markup from data: it reads ``data-*`` attributes, shows and hides rows and
findings, reorders rows, and keeps the view (filters, sort orders) in ``location.hash``, so a
filtered view can be linked and the back button undoes a change. Each filter pass is one walk
over the packages and their findings (no per-row search of other rows), so a page of 5000
findings stays quick.
"""

from __future__ import annotations

CSS = """
:root{--err:#c62828;--warn:#b26a00;--note:#1565c0;--ok:#2e7d32;--bd:#d0d7de;--mut:#57606a}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;
background:#f6f8fa}
header{background:#24292f;color:#fff;padding:14px 24px}
header h1{font-size:20px;margin:0}header .sub{color:#c9d1d9;font-size:13px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0 0;
font-size:13px;color:#c9d1d9}
header dt{color:#8c959f}header dd{margin:0;word-break:break-all}
header details{margin-top:6px;font-size:13px}header summary{cursor:pointer;color:#c9d1d9}
header .settings{color:#1f2328;margin-top:6px}
.targets{max-height:5.5em;overflow:auto}.targets code{margin-right:8px}
main{padding:16px 24px;max-width:1400px}
h2{font-size:16px;margin:22px 0 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--bd);border-radius:6px;padding:10px 16px;
min-width:120px}
.card .n{font-size:24px;font-weight:600}.card .l{color:var(--mut);font-size:12px}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:10px 0;
background:#eaeef2;max-width:700px}
.bar span{display:block;height:100%}
.s-error{color:var(--err)}.s-warning{color:var(--warn)}.s-note{color:var(--note)}
.s-clean{color:var(--ok)}
.b-error,.b-fail{background:var(--err)}.b-warning{background:var(--warn)}
.b-note{background:var(--note)}.b-clean,.b-pass{background:var(--ok)}.b-not{background:#6e7781}
.grid{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.scroll{max-height:360px;overflow:auto;border:1px solid var(--bd)}
.scroll table{border:0}.scroll thead th{position:sticky;top:0;z-index:1}
table{border-collapse:collapse;background:#fff;border:1px solid var(--bd)}
th,td{padding:5px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right}
tr.pick{cursor:pointer}tr.pick:hover{background:#f3f6fa}
#registry tbody{border-top:2px solid var(--bd)}#registry td.model{font-weight:600}
#registry .sub{font-weight:400;color:var(--mut);font-size:12px}
#pkgs{width:100%}
th[data-key]{cursor:pointer;user-select:none}
th[data-key] button{all:inherit;display:inline;cursor:pointer;padding:0}
th[data-key] button:focus-visible{outline:2px solid var(--note)}
th[data-key]::after{content:" \\2195";color:#8c959f}
th[aria-sort=ascending]::after{content:" \\2191";color:#1f2328}
th[aria-sort=descending]::after{content:" \\2193";color:#1f2328}
tbody.pkg tr.row{cursor:pointer}tbody.pkg tr.row:hover{background:#f3f6fa}
tbody.pkg tr.det td{background:#fbfcfd;padding:0 10px 8px 34px}
tbody.pkg.closed tr.det{display:none}
.tw{display:inline-block;width:14px;color:#8c959f}
tbody.pkg:not(.closed) .tw{transform:rotate(90deg)}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
color:#fff}
.find{margin:6px 0;padding:6px 8px;border-left:3px solid var(--bd);background:#fff}
.find.l-error{border-color:var(--err)}.find.l-warning{border-color:var(--warn)}
.find.l-note{border-color:var(--note)}
.find .where{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:var(--mut)}
.find .msg{white-space:pre-wrap;word-break:break-word}
.find .fix{color:var(--mut);white-space:pre-wrap}
.hid{color:var(--mut);font-size:12px;margin-top:4px}
dl.prov{display:grid;grid-template-columns:max-content 1fr;gap:0 12px;margin:8px 0;
font-size:12.5px}dl.prov dt{color:var(--mut)}dl.prov dd{margin:0;word-break:break-all}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0}
.filters input,.filters select{font:inherit;padding:4px 6px;border:1px solid var(--bd);
border-radius:4px;background:#fff}
.filters input{min-width:280px}.filters select{max-width:260px}
#shown{color:var(--mut)}
.notes{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px}
"""

JS = r"""
(function(){
'use strict';
var t0=performance.now();
function $(id){return document.getElementById(id);}
function arr(x){return Array.prototype.slice.call(x);}
var tbl=$('pkgs'),bodies=arr(tbl.tBodies),shown=$('shown');
var KEYS=['level','rule','model','version','q','sort','psort'];
var ctl={level:$('flevel'),rule:$('frule'),model:$('fmodel'),version:$('fver'),q:$('q')};
var RANK={error:0,warning:1,note:2,clean:3};
var pk=bodies.map(function(b){
 return {b:b,d:b.dataset,head:null,hid:b.querySelector('.hid'),prov:b.querySelector('.prov'),
  fs:arr(b.querySelectorAll('.find')).map(function(f){
   return {el:f,code:f.dataset.code,level:f.dataset.level,t:null,on:true};})};});
var rtbl=$('rules'),rrows=rtbl?arr(rtbl.tBodies[0].rows):[];
var state={},sorted={sort:'',psort:''};
function empty(){var s={};KEYS.forEach(function(k){s[k]='';});return s;}
function parse(h){
 var s=empty(),p=new URLSearchParams(h.replace(/^#/,''));
 KEYS.forEach(function(k){var v=p.get(k);if(v!==null)s[k]=v;});
 if(!ctl.model)s.model='';
 return s;}
function serial(s){
 var p=new URLSearchParams();
 KEYS.forEach(function(k){if(s[k])p.set(k,s[k]);});
 return p.toString();}
function sync(){
 ['level','rule','model','version'].forEach(function(k){
  var el=ctl[k];if(!el)return;var v=state[k];
  if(v&&!arr(el.options).some(function(o){return o.value===v;})){
   var o=document.createElement('option');o.value=v;o.textContent=v+' (not in this report)';
   el.appendChild(o);}
  el.value=v;});
 if(ctl.q.value!==state.q)ctl.q.value=state.q;}
function head(p){return (p.b.rows[0].textContent+' '+(p.prov?p.prov.textContent:'')
 ).toLowerCase();}
function filter(){
 var s=state,q=s.q.trim().toLowerCase(),lv=s.level==='clean'?'':s.level,
  ff=!!(lv||s.rule),n=0,nf=0;
 for(var i=0;i<pk.length;i++){
  var p=pk[i],d=p.d,fs=p.fs,ok=(!s.version||d.version===s.version)
   &&(!s.model||d.model===s.model)&&(s.level!=='clean'||fs.length===0),vis=0,hit=!q;
  if(ok){
   if(q){if(p.head===null)p.head=head(p);hit=p.head.indexOf(q)>=0;}
   for(var j=0;j<fs.length;j++){
    var f=fs[j],on=(!s.rule||f.code===s.rule)&&(!lv||f.level===lv);
    if(on){vis++;
     if(!hit){if(f.t===null)f.t=f.el.textContent.toLowerCase();hit=f.t.indexOf(q)>=0;}}
    if(f.on!==on){f.on=on;f.el.hidden=!on;}}
   ok=hit&&(!ff||vis>0);
   var h=fs.length-vis;
   if(p.hid&&p.h!==h){p.h=h;
    p.hid.textContent=h?h+' of '+fs.length+' findings hidden by the filter':'';}}
  if(p.b.hidden===ok)p.b.hidden=!ok;
  if(ok){n++;nf+=vis;}}
 shown.textContent=n+' of '+pk.length+' packages shown, '+nf+' findings';}
function spec(v){var m=/^([a-z]+)-(asc|desc)$/.exec(v||'');return m?{key:m[1],dir:m[2]}:null;}
function heads(t){return arr(t.tHead.rows[0].cells).filter(function(c){return c.dataset.key;});}
function mark(t,sp){heads(t).forEach(function(c){
 if(sp&&c.dataset.key===sp.key)c.setAttribute('aria-sort',sp.dir==='asc'?'ascending':'descending');
 else c.removeAttribute('aria-sort');});}
function cmp(t,key){
 var th=heads(t).filter(function(c){return c.dataset.key===key;})[0];
 if(!th)return null;var ty=th.dataset.type;
 return function(a,b){var x=a.dataset[key]||'',y=b.dataset[key]||'';
  if(ty==='rank')return RANK[x]-RANK[y];
  if(ty==='num')return Number(x)-Number(y);
  return x.localeCompare(y,undefined,{numeric:true});};}
function order(t,rows,parent,v,tie){
 var sp=spec(v),c=sp&&cmp(t,sp.key),out=rows.slice();
 if(c){var sg=sp.dir==='asc'?1:-1;
  out.sort(function(a,b){return sg*c(a,b)||tie(a,b);});}
 else sp=null;
 var frag=document.createDocumentFragment();
 out.forEach(function(r){frag.appendChild(r);});parent.appendChild(frag);mark(t,sp);}
function resort(){
 if(rtbl&&sorted.sort!==state.sort){sorted.sort=state.sort;
  order(rtbl,rrows,rtbl.tBodies[0],state.sort,function(a,b){
   return a.dataset.code<b.dataset.code?-1:1;});}
 if(sorted.psort!==state.psort){sorted.psort=state.psort;
  order(tbl,bodies,tbl,state.psort,function(a,b){
   return a.dataset.path.localeCompare(b.dataset.path);});}}
function show(){sync();filter();resort();}
function go(s,replace){
 state=s;var h=serial(s);
 if(h!==location.hash.replace(/^#/,'')){
  if(replace)location.replace('#'+h);else location.hash=h;}
 show();}
var typing=false;  // one history entry per search, not one per key
function change(k,v){var s=Object.assign({},state);s[k]=v;go(s,k==='q'&&typing);
 typing=k==='q';}
window.addEventListener('hashchange',function(){
 var s=parse(location.hash);if(serial(s)===serial(state))return;
 typing=false;state=s;show();});
['level','rule','model','version'].forEach(function(k){var el=ctl[k];if(!el)return;
 el.addEventListener('change',function(){change(k,el.value);});});
ctl.q.addEventListener('input',function(){change('q',ctl.q.value);});
function sortable(t,k){heads(t).forEach(function(th){
 th.addEventListener('click',function(){
  var sp=spec(state[k]),key=th.dataset.key,first=th.dataset.first||'asc',dir;
  if(sp&&sp.key===key)dir=sp.dir==='asc'?'desc':'asc';else dir=first;
  change(k,key+'-'+dir);});});}
sortable(tbl,'psort');if(rtbl)sortable(rtbl,'sort');
bodies.forEach(function(b){var r=b.rows[0];
 function flip(){r.setAttribute('aria-expanded',!b.classList.toggle('closed'));}
 r.addEventListener('click',flip);
 r.addEventListener('keydown',function(e){
  if(e.key==='Enter'||e.key===' '){e.preventDefault();flip();}});});
arr(document.querySelectorAll('tr.pick')).forEach(function(tr){
 tr.addEventListener('click',function(){change(tr.dataset.sel,tr.dataset.val);
  tbl.scrollIntoView();});});
$('expand').addEventListener('click',function(){
 var open=bodies.some(function(b){return b.classList.contains('closed')&&!b.hidden;});
 bodies.forEach(function(b){if(!b.hidden){b.classList.toggle('closed',!open);
  b.rows[0].setAttribute('aria-expanded',open);}});});
state=parse(location.hash);show();
window.__mcInitMs=performance.now()-t0;
})();
"""
