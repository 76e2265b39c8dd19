//! `schema!`: an action's input struct with the rule of each field, and a typed handle per
//! field for its form (`state.fields().title`: a misspelled field does not compile).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{
    braced,
    parse::{Parse, ParseStream},
    punctuated::Punctuated,
    Attribute, Expr, Ident, Token, Type, Visibility,
};

/// `pub struct NewPost { pub title: String = Rule::text("Title"), … }`
pub struct SchemaInput {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    fields: Punctuated<FieldInput, Token![,]>,
}

struct FieldInput {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    ty: Type,
    rule: Expr,
}

impl Parse for SchemaInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        let content;
        braced!(content in input);
        let fields = content.parse_terminated(FieldInput::parse, Token![,])?;
        Ok(Self {
            attrs,
            vis,
            name,
            fields,
        })
    }
}

impl Parse for FieldInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        if !input.peek(Token![=]) {
            return Err(input.error(
                "each field names its rule after its type: `title: String = Rule::text(\"Title\")`",
            ));
        }
        input.parse::<Token![=]>()?;
        let rule = input.parse()?;
        Ok(Self {
            attrs,
            vis,
            name,
            ty,
            rule,
        })
    }
}

pub fn expand(input: SchemaInput) -> TokenStream {
    let SchemaInput {
        attrs,
        vis,
        name,
        fields,
    } = input;
    let fields: Vec<_> = fields.into_iter().collect();
    let field_attrs = fields.iter().map(|f| &f.attrs);
    let field_vis = fields.iter().map(|f| &f.vis);
    let field_names: Vec<_> = fields.iter().map(|f| &f.name).collect();
    let field_keys: Vec<_> = field_names
        .iter()
        .map(|n| n.to_string().trim_start_matches("r#").to_owned())
        .collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let rules: Vec<_> = fields.iter().map(|f| &f.rule).collect();
    let handles = format_ident!("{}Fields", name);
    let handles_doc = format!(
        "The fields of [`{name}`]'s form, one handle each: `state.fields().{}`.",
        field_keys.first().map_or("…", String::as_str)
    );
    let handle_docs = field_keys
        .iter()
        .map(|key| format!("The `{key}` field: its rule, kept input and messages."));

    quote! {
        #(#attrs)*
        #vis struct #name {
            #(
                #(#field_attrs)*
                #field_vis #field_names: #types,
            )*
        }

        #[doc = #handles_doc]
        #[derive(Clone, Copy)]
        #vis struct #handles {
            #(
                #[doc = #handle_docs]
                pub #field_names: ::formwork::Field,
            )*
        }

        // By hand rather than garde's derive, which names `::garde`: the crate using the
        // macro needs no `garde` dependency of its own.
        impl ::formwork::__private::garde::Validate for #name {
            type Context = ();

            fn validate_into(
                &self,
                _: &(),
                parent: &mut dyn FnMut() -> ::formwork::__private::garde::Path,
                report: &mut ::formwork::__private::garde::Report,
            ) {
                #(
                    if let Err(error) =
                        ::formwork::schema::enforce::<#types>(#rules)(&self.#field_names, &())
                    {
                        report.append(parent().join(#field_keys), error);
                    }
                )*
            }
        }

        impl ::formwork::schema::Schema for #name {
            const FIELDS: &'static [(&'static str, ::formwork::schema::Rule)] =
                &[#((#field_keys, #rules)),*];

            type Fields = #handles;

            fn fields(field: impl Fn(&'static str) -> ::formwork::Field) -> #handles {
                #handles { #(#field_names: field(#field_keys)),* }
            }

            fn normalize(&mut self) {
                #(
                    if ::formwork::schema::Rule::trims(&#rules) {
                        ::formwork::schema::FieldValue::trim_in_place(&mut self.#field_names);
                    }
                )*
            }
        }
    }
}
