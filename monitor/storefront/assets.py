"""Static payloads of the simulated storefront: CSS, scripts, fonts, pixels, video, logos, captcha.

Where it sits: inside the simulated storefront. These are what make a page "weigh" like Amazon's:
stylesheets, an AUI-like script, web fonts, tracking pixels, a sponsored video. The browser client
proves that it blocks what it does not need by the storefront's request log. Everything is generated
locally and cached per process (on first use, never at import).
"""

from __future__ import annotations

import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

# Head script: Amazon defines its module loader ``P`` and the ``ue`` timer inline before anything
# else, so the ImageBlockATF block of a product page can run wherever it sits.
HEAD_JS = r"""
var ue_t0=+new Date(),ue_id='__REQUEST_ID__',ue_sn='www.amazon.com';
window.P=(function(){
 var mods={A:{trigger:function(){},on:function(){},$:null}},queue=[];
 function ready(ns){for(var i=0;i<ns.length;i++){if(!(ns[i] in mods))return false}return true}
 function args(ns){var a=[];for(var i=0;i<ns.length;i++)a.push(mods[ns[i]]);return a}
 function flush(){for(var i=0;i<queue.length;i++){var q=queue[i];
  if(ready(q.ns)){queue.splice(i,1);q.fn.apply(null,args(q.ns));i=-1}}}
 function when(){var ns=[].slice.call(arguments);return{
  execute:function(a,b){queue.push({ns:ns,fn:typeof a==='function'?a:b});flush()},
  register:function(name,fn){
   queue.push({ns:ns,fn:function(){mods[name]=fn.apply(null,arguments);flush()}});flush()}}}
 return{when:when,
  now:function(){var ns=[].slice.call(arguments);
   return{execute:function(a,b){(typeof a==='function'?a:b).apply(null,args(ns))}}},
  declare:function(n,v){mods[n]=v;flush()},
  register:function(n,fn){mods[n]=fn?fn():true;flush()}};
})();
(function(){var i=new Image();i.src='/tracker/pixel.gif?ue=ld&id='+ue_id+'&t='+ue_t0;})();
"""

# Body script, inline like Amazon's page-level glue: location popover, cookie consent, impression
# beacons of the sponsored units.
BODY_JS = r"""
(function(){
 function $(id){return document.getElementById(id)}
 var link=$('nav-global-location-popover-link'),modal=$('a-popover-glow'),back=$('a-modal-backdrop');
 function openGlow(e){if(e)e.preventDefault();if(!modal)return;
  modal.style.display='block';back.style.display='block';
  $('GLUXZipInputSection').classList.remove('aok-hidden');
  $('GLUXHiddenSuccessDialog').classList.add('aok-hidden');
  $('GLUXZipError').classList.add('aok-hidden');var inp=$('GLUXZipUpdateInput');if(inp)inp.focus();}
 function closeGlow(){if(!modal)return;modal.style.display='none';back.style.display='none';}
 if(link){link.addEventListener('click',openGlow);}
 var closers=document.querySelectorAll('[data-action="a-popover-close"]');
 for(var i=0;i<closers.length;i++){
  closers[i].addEventListener('click',function(e){e.preventDefault();closeGlow();});}
 if(back){back.addEventListener('click',closeGlow);}
 function applyZip(e){if(e)e.preventDefault();var zip=($('GLUXZipUpdateInput').value||'').trim();
  var tok=$('glowValidationToken');
  fetch('/portal-migration/hz/glow/address-change?actionSource=glow',{method:'POST',credentials:'same-origin',
   headers:{'Content-Type':'application/json','anti-csrftoken-a2z':tok?tok.value:''},
   body:JSON.stringify({locationType:'LOCATION_INPUT',zipCode:zip,deviceType:'web',storeContext:'generic',
    pageType:document.body.getAttribute('data-page-type')||'Search',actionSource:'glow'})})
  .then(function(r){return r.json()}).then(function(d){
   if(!d.isValidAddress){$('GLUXZipError').classList.remove('aok-hidden');return;}
   var line=(d.address.city?d.address.city+' ':'')+d.address.zipCode;
   $('glow-ingress-line1').textContent='Delivering to '+line;
   $('glow-ingress-line2').textContent='Update location';
   $('GLUXHiddenSuccessSelectedAddressPlaceholder').textContent=line;
   $('GLUXZipInputSection').classList.add('aok-hidden');
   $('GLUXHiddenSuccessDialog').classList.remove('aok-hidden');
  }).catch(function(){$('GLUXZipError').classList.remove('aok-hidden');});}
 var apply=document.querySelector('#GLUXZipUpdate input');
 if(apply){apply.addEventListener('click',applyZip);}
 var zin=$('GLUXZipUpdateInput');
 if(zin){zin.addEventListener('keydown',function(e){if(e.key==='Enter')applyZip(e);});}
 var done=document.querySelector('#GLUXConfirmClose input');
 if(done){done.addEventListener('click',function(e){e.preventDefault();closeGlow();location.reload();});}
 var cc=$('sp-cc');
 if(cc){cc.addEventListener('submit',function(e){e.preventDefault();
  fetch(cc.getAttribute('action'),{method:'POST',credentials:'same-origin',
   headers:{'Content-Type':'application/x-www-form-urlencoded'},body:'accept=all'})
  .then(function(){var w=$('sp-cc-wrapper');if(w)w.parentNode.removeChild(w);});});}
 var logs=document.querySelectorAll('[data-component-type="s-impression-logger"]');
 for(var j=0;j<logs.length;j++){try{var u=JSON.parse(logs[j].getAttribute('data-component-props')).url;
  fetch(u,{mode:'no-cors',credentials:'include',keepalive:true}).catch(function(){});}catch(err){}}
 P.when('ImageBlockATF').execute(function(data){if(!data)return;var land=$('landingImage');
  var items=document.querySelectorAll('#altImages li.imageThumbnail');
  for(var k=0;k<items.length;k++){(function(n){items[n].addEventListener('mouseenter',function(){
   var s=data.colorImages.initial[n];if(s&&land){land.src=s.hiRes||s.large;}});})(k);}});
})();
"""

AUI_JS = r"""
/* AmazonUI (storefront edition): carousel paging and late trackers. */
(function(){
 document.documentElement.className=document.documentElement.className.replace('a-no-js','a-js');
 var cs=document.querySelectorAll('.a-carousel-container');
 for(var i=0;i<cs.length;i++){(function(c){var ol=c.querySelector('ol.a-carousel');
  var nx=c.querySelector('.a-carousel-goto-nextpage'),pv=c.querySelector('.a-carousel-goto-prevpage');
  if(nx)nx.addEventListener('click',function(e){e.preventDefault();ol.scrollLeft+=ol.clientWidth;});
  if(pv)pv.addEventListener('click',function(e){e.preventDefault();ol.scrollLeft-=ol.clientWidth;});})(cs[i]);}
 window.addEventListener('load',function(){var s=document.createElement('script');s.async=true;
  s.src='/tracker/csm-captcha-instrumentation.min.js';document.head.appendChild(s);
  var p=new Image();p.src='/tracker/pixel.gif?ue=cf&t='+(+new Date());});
})();
"""

TRACKER_JS = "/* csm */ window.ue_csm_loaded = true;\n"

AUI_CSS = r"""
/* AmazonUI (storefront edition) */
html{font-size:14px}
body{margin:0;font-family:"Amazon Ember",Arial,sans-serif;color:#0f1111;background:#fff;
 line-height:20px}
a{color:#007185;text-decoration:none}
a:hover{color:#c7511f;text-decoration:underline}
.aok-hidden{display:none!important}
.aok-relative{position:relative}
.aok-inline-block{display:inline-block}
.aok-offscreen,.a-offscreen{position:absolute!important;left:-10000px;width:1px;height:1px;
 overflow:hidden}
.a-section{margin-bottom:0}
.a-spacing-small{margin-bottom:8px}
.a-spacing-base{margin-bottom:12px}
.a-spacing-top-small{margin-top:8px}
.a-spacing-top-micro{margin-top:4px}
.a-spacing-top-mini{margin-top:2px}
.a-color-secondary{color:#565959}
.a-color-base{color:#0f1111}
.a-text-bold{font-weight:700}
.a-size-small{font-size:12px}
.a-size-base-plus{font-size:16px;line-height:24px}
.a-size-medium-plus{font-size:20px;font-weight:700;line-height:28px}
.a-size-large{font-size:24px;line-height:32px}
.a-text-center{text-align:center}
.a-text-normal{font-weight:400}
.a-button{display:inline-block;position:relative;border-radius:8px;border:1px solid #d5d9d9;
 background:#fff; box-shadow:0 2px 5px rgba(213,217,217,.5);cursor:pointer;vertical-align:middle}
.a-button-primary{background:#ffd814;border-color:#fcd200}
.a-button-inner{display:block;position:relative;height:29px}
.a-button-text{display:block;padding:0 10px 0 11px;line-height:29px;text-align:center;color:#0f1111;
  background:transparent;border:0;font:inherit}
.a-button-input{position:absolute;left:0;top:0;width:100%;height:100%;opacity:.01;z-index:20;
 cursor:pointer;margin:0;padding:0}
.a-button-span12{width:100%}
.a-row:after{content:"";display:table;clear:both}
.a-column{float:left;margin-right:2%}
.a-span8{width:64%}
.a-span4{width:31%}
.a-span-last{margin-right:0;float:right}
.a-price{font-size:21px}
.a-price-symbol{font-size:13px;vertical-align:top}
.a-price-fraction{font-size:13px;vertical-align:top}
.a-text-price{font-size:13px;color:#565959;text-decoration:line-through}
.a-icon-star-mini{display:inline-block;width:70px;height:14px;
 background:linear-gradient(90deg,#ffa41c 86%,#ddd 86%);
  -webkit-mask:repeating-linear-gradient(90deg,#000 0 12px,transparent 12px 14px);
 vertical-align:-2px}
.a-icon-alt{position:absolute;left:-10000px}
#navbar-main{background:#131921;color:#fff}
#nav-belt{display:flex;align-items:center;height:60px;padding:0 10px;gap:8px}
#nav-belt .nav-left{display:flex;align-items:center;gap:6px}
#nav-belt .nav-fill{flex:1}
#nav-logo-sprites{display:block;width:97px;height:50px;
 background:url(/images/G/01/gno/sprites/nav-sprite-global-1x-reorg-privacy._CB587940754_.png)
 no-repeat 10px 10px}
.nav-a{color:#fff;text-decoration:none;display:block;padding:6px 8px;border:1px solid transparent;
 border-radius:2px}
.nav-a:hover{border-color:#fff;text-decoration:none;color:#fff}
.nav-line-1{display:block;font-size:12px;line-height:14px;color:#ccc}
.nav-line-2{display:block;font-weight:700;font-size:14px;line-height:15px}
#nav-search-bar-form{display:flex;height:40px;border-radius:4px;overflow:hidden;background:#fff}
#nav-search-bar-form .nav-left select{height:40px;border:0;background:#e6e6e6;width:54px}
#twotabsearchtextbox{flex:1;border:0;padding:0 10px;font-size:15px;height:40px;width:100%;
 box-sizing:border-box}
#nav-search-submit-button{height:40px;width:45px;border:0;background:#febd69;cursor:pointer}
#nav-search-bar-form .nav-fill{flex:1;display:flex}
#nav-tools{display:flex;gap:4px}
#nav-main{background:#232f3e;height:39px;display:flex;align-items:center;padding:0 12px;gap:14px}
#nav-main a{color:#fff;font-size:14px}
.a-popover-modal{position:fixed;top:90px;left:50%;width:375px;margin-left:-188px;background:#fff;
 border-radius:8px; box-shadow:0 0 14px rgba(0,0,0,.5);z-index:1010}
.a-popover-header{background:#f0f2f2;padding:14px 24px;border-radius:8px 8px 0 0;
 border-bottom:1px solid #d5d9d9}
.a-popover-header-content{margin:0;font-size:16px}
.a-popover-inner{padding:16px 24px 24px}
.a-button-close{position:absolute;right:12px;top:12px;border:0;background:none;font-size:18px;
 cursor:pointer}
#a-modal-backdrop{position:fixed;left:0;top:0;right:0;bottom:0;background:rgba(0,0,0,.6);
 z-index:1000}
.GLUX_Full_Width{width:100%;height:31px;box-sizing:border-box;padding:3px 7px;
 border:1px solid #888c8c;border-radius:3px}
.a-alert-inline-error{color:#cc0c39;font-size:12px;margin-top:6px}
#sp-cc-wrapper{position:fixed;left:0;right:0;bottom:0;z-index:900;background:#fff;
 border-top:1px solid #ddd; box-shadow:0 -2px 8px rgba(0,0,0,.2);padding:16px 24px}
#sp-cc{max-width:1000px;margin:0 auto;display:flex;gap:20px;align-items:center}
.sp-cc-text{flex:1}
.sp-cc-buttons .a-button{margin-left:8px}
#search{padding:0 10px}
.s-desktop-width-max{max-width:1500px;margin:0 auto}
.sg-row{display:flex;flex-wrap:wrap}
.sg-col-inner{padding:0 6px}
.s-main-slot{display:flex;flex-wrap:wrap;width:100%}
.s-result-item{box-sizing:border-box}
.s-flex-full-width,.sg-col-20-of-24.s-widget{width:100%}
.s-main-slot>.s-asin{width:25%;padding:4px 0}
.sg-col-20-of-24.s-matching-dir{flex:1;min-width:0}
.s-widget-spacing-large{margin:12px 0}
.s-widget-spacing-small{margin:4px 0}
.puis-card-container{border:1px solid #e3e6e6;border-radius:4px;background:#fff;height:100%;
 box-sizing:border-box}
.s-product-image-container{background:#f7f7f7;padding:12px 0}
.s-image-square-aspect{height:240px;display:flex;align-items:center;justify-content:center}
.s-image-fixed-height{height:218px}
.s-image{max-width:100%;max-height:240px;mix-blend-mode:multiply}
.s-line-clamp-3 h2{font-size:16px;line-height:24px;font-weight:400;margin:0;overflow:hidden;
 display:-webkit-box; -webkit-line-clamp:3;-webkit-box-orient:vertical}
.desktop-grid-content-view{padding:0 12px 12px}
.puis-sponsored-label-text,.s-widget-sponsored-label-text{color:#565959;font-size:12px}
.puis-label-popover-hover{display:none}
.puis-sponsored-label-info-icon{display:inline-block;width:14px;height:12px;
  background:url(/images/G/01/ad-feedback/New-info-icon-sprite-1x.png) no-repeat;
 vertical-align:-1px;margin-left:3px}
ol.a-carousel{display:flex;gap:8px;list-style:none;margin:0;padding:0;overflow-x:auto}
li.a-carousel-card{flex:0 0 220px}
li.a-carousel-card .s-result-item{width:100%}
.sb-unit{display:flex;gap:16px;align-items:stretch;border:1px solid #e3e6e6;border-radius:4px;
 padding:12px;background:#f7f8f8}
.sb-unit video{width:320px;height:180px;background:#0f171e}
.sb-tiles{display:flex;gap:12px;flex:1}
.sb-tile{width:180px;background:#fff;padding:8px;border-radius:4px}
.sb-tile img{display:block;margin:0 auto}
.s-pagination-strip ul{list-style:none;display:flex;gap:4px;justify-content:center;padding:0}
.s-pagination-item{display:inline-block;padding:8px 14px;border:1px solid #d5d9d9;border-radius:8px;
 color:#0f1111}
.s-pagination-selected{border-color:#0f1111;font-weight:700}
.s-pagination-disabled{color:#8d9096}
#dp-container{display:flex;gap:24px;padding:14px 18px}
#leftCol{width:40%;display:flex}
#centerCol{flex:1}
#rightCol{width:244px;border:1px solid #d5d9d9;border-radius:8px;padding:18px}
#main-image-container{flex:1}
#main-image-container ul{list-style:none;margin:0;padding:0}
#altImages{width:48px}
#altImages ul{list-style:none;margin:0;padding:0}
#altImages li{margin-bottom:8px}
#altImages img{width:40px;height:40px;object-fit:contain;border:1px solid #d5d9d9;border-radius:4px}
#imgTagWrapperId{display:flex;justify-content:center;align-items:center;height:500px;flex:1}
#landingImage{max-width:100%;max-height:500px}
#productTitle{font-size:24px;line-height:32px;font-weight:400}
.navFooterLine{background:#232f3e;color:#ddd;padding:30px;text-align:center;font-size:12px;
 margin-top:30px}
.navFooterLine a{color:#ddd}
"""


@lru_cache(maxsize=1)
def font_bytes() -> bytes:
    """A real web font: Pillow's embedded TrueType font (browsers sniff sfnt under a .woff2 name)."""
    font = ImageFont.load_default(size=12)
    data = getattr(font, "font_bytes", b"")
    return data if isinstance(data, bytes) else b""


@lru_cache(maxsize=4)
def video_bytes(name: str) -> bytes:
    """Pseudo MP4 bytes for the Sponsored Brands video: heavy on purpose, so blocking it shows."""
    rng = random.Random(f"video|{name}")
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return head + bytes(rng.getrandbits(8) for _ in range(256 * 1024))


# A transparent 1x1 GIF, as tracking pixels are.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=3)
    return buf.getvalue()


@lru_cache(maxsize=64)
def static_image(path: str) -> bytes:
    """Nav sprites, ad-feedback icons and other ``/images/G/`` art: a small generated PNG."""
    rng = random.Random(path)
    img = Image.new("RGBA", (120, 40), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if "sprite" in path:
        d.text((4, 8), "amazon", fill=(255, 255, 255, 255), font=ImageFont.load_default(size=22))
        d.arc((8, 22, 70, 38), 20, 160, fill=(255, 153, 0, 255), width=3)
    else:
        c = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 255)
        d.ellipse((2, 2, 12, 12), outline=c, width=2)
    return _png(img)


@lru_cache(maxsize=64)
def brand_logo(path: str, brand: str = "") -> bytes:
    """A Sponsored Brands logo for ``/images/S/...`` paths: the brand name on white."""
    img = Image.new("RGB", (260, 120), (255, 255, 255))
    d = ImageDraw.Draw(img)
    text = (brand or "Brand")[:14]
    d.text((14, 38), text, fill=(20, 40, 60), font=ImageFont.load_default(size=34))
    d.line((14, 88, 246, 88), fill=(230, 120, 20), width=4)
    return _png(img)


@lru_cache(maxsize=16)
def captcha_image(token: str) -> bytes:
    """The classic distorted-letters captcha picture."""
    rng = random.Random(token)
    img = Image.new("RGB", (200, 70), (255, 255, 255))
    d = ImageDraw.Draw(img)
    letters = "".join(rng.choice("ABCEFGHJKLMNPRTUXY") for _ in range(6))
    font = ImageFont.load_default(size=34)
    for i, ch in enumerate(letters):
        d.text((12 + i * 30, 14 + rng.randrange(-6, 7)), ch, fill=(0, 0, 0), font=font)
    for _ in range(6):
        d.line([(rng.randrange(200), rng.randrange(70)) for _ in range(2)], fill=(60, 60, 60), width=2)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


ROBOTS_TXT = """User-agent: *
Disallow: /exec/obidos/account-access-login
Disallow: /exec/obidos/change-style
Disallow: /exec/obidos/flex-sign-in
Disallow: /gp/cart
Disallow: /gp/customer-media/actions
Disallow: /gp/sign-in
Disallow: /gp/yourstore
Disallow: /portal-migration/
Disallow: /sspa/click
Disallow: /cookieprefs
Allow: /

User-agent: GPTBot
Disallow: /
"""
