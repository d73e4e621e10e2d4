"""A sphinx-gallery image scraper for figures an example keeps in its globals.

slamarkov's figure functions return :class:`matplotlib.figure.Figure` objects on the Agg canvas
without registering them with pyplot, so the default matplotlib scraper does not see them. This
one saves every new ``Figure`` bound to a name in the example. sphinx-gallery finds it by module
name (``image_scrapers = ("matplotlib", "gallery_figures")``).
"""

from __future__ import annotations


def scrape(block, block_vars, gallery_conf):
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    seen = block_vars.setdefault("_slamarkov_seen", set())
    paths = []
    for value in list(block_vars["example_globals"].values()):
        if isinstance(value, Figure) and id(value) not in seen:
            seen.add(id(value))
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=90)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    return scrape
