"""The parts of the synthetic product photography behind ``monitor.storefront.synthetic``.

Where it sits: inside the simulated storefront, outside ismon's data flow. ``monitor.storefront.synthetic``
is the drawing API (``draw_gallery``, ``draw_variant``, ``draw_negative``); it composes the pictures from
these modules, lowest first:

- ``product``: what a seed stands for (``Product``, ``product_for_seed``, ``FAMILIES``) and the colour,
  random-stream and font helpers;
- ``shapes``: the silhouette of each shape family (``draw_family``);
- ``sprite``: the shaded, decorated sprite and ``place``, which puts it on a canvas;
- ``scenes``: lifestyle backgrounds with the product on their floor (``lifestyle``);
- ``slides``: the infographic, comparison and dimensions slides.

Nothing is re-exported here; import from the modules (or use ``monitor.storefront.synthetic``).
"""
