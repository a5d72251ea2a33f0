"""One module per outlet; each module declares a spider on top of a platform base class."""
